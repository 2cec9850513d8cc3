-- Takes a slot in a Teams channel's sliding-window log, or says how long
-- until one frees (src/delivery/teams-pace.ts). Redis' own clock (TIME) is
-- the one clock all workers share.
--
-- KEYS: the channel's log (a sorted set, members scored by ms).
-- ARGV: a unique member, then window ms, max, window ms, max, ...
-- Returns 0 when the slot is taken, else the ms until one frees.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local longest = 0
for i = 2, #ARGV, 2 do
  local w = tonumber(ARGV[i])
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local wait = 0
for i = 2, #ARGV, 2 do
  local w = tonumber(ARGV[i])
  local max = tonumber(ARGV[i + 1])
  local count = redis.call('ZCOUNT', KEYS[1], '(' .. (now - w), '+inf')
  if count >= max then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - w), '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)
    local frees = tonumber(oldest[2]) + w - now
    if frees > wait then wait = frees end
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return 0

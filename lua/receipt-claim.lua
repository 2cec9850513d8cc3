-- Claims recipients of one target of one job for sending (src/delivery/ledger.ts).
-- A claim is a field of the job's receipts hash, beside the receipts:
--   "claim|<targetKey>|<recipient>" = "<until, ms by Redis' clock>|<token>|<holder>"
-- A recipient with a receipt is never claimed; one claimed by another token
-- whose lease has not run out is busy (the retry waits it out); otherwise the
-- claim is taken, or renewed when it is the caller's own. Redis' own clock
-- judges every lease, so the workers' clocks never have to agree.
--
-- KEYS: the receipts hash.
-- ARGV: token, lease (ms), holder (for logs), hash TTL (s), then the receipt fields.
-- Returns two values per field, in order:
--   "receipt", <the receipt>                  already served;
--   "busy", "<ms left>|<holder>"              another attempt may still be delivering;
--   "claimed", "" or "<holder>"               claimed now; the holder of an expired,
--                                             never settled claim of another attempt.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local token, lease, holder = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local out = {}
local claimed = false
for i = 5, #ARGV do
  local field = ARGV[i]
  local receipt = redis.call('HGET', KEYS[1], field)
  if receipt then
    out[#out + 1] = 'receipt'
    out[#out + 1] = receipt
  else
    local claim = redis.call('HGET', KEYS[1], 'claim|' .. field)
    local untilMs, owner, by = nil, nil, ''
    if claim then
      local u, o, b = string.match(claim, '^(%d+)|([^|]*)|(.*)$')
      untilMs, owner, by = tonumber(u), o, b or ''
    end
    if claim and owner ~= token and untilMs and untilMs > now then
      out[#out + 1] = 'busy'
      out[#out + 1] = tostring(untilMs - now) .. '|' .. by
    else
      redis.call('HSET', KEYS[1], 'claim|' .. field, tostring(now + lease) .. '|' .. token .. '|' .. holder)
      claimed = true
      out[#out + 1] = 'claimed'
      out[#out + 1] = (claim and owner ~= token) and by or ''
    end
  end
end
if claimed then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return out

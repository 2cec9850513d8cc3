-- An alert's transition, all or nothing (src/alerts/store.ts, commitTransition):
-- the next state and the notifications it asked for, written in one step if
-- the stored version is still the expected one and, when fenced, the lock is
-- still the caller's. Each notification gets a stable id: <id prefix><epoch>:<seq>.
--
-- KEYS: state, outbox, attempts, lock, deleted (the alert's tombstone).
-- ARGV: expected version, lock token ('' = not fenced), epoch for a new
--       record, state JSON, id prefix, TTL ms, now ms, evaluation id, when
--       the evaluation's job was made (ms; '' = not fenced by the tombstone), then one JSON per
--       notification.
-- Returns {1, version, id...} | {0, current version} | {-1, 0} (lock lost)
--       | {-2, 0} (the alert was deleted after the evaluation's job was made).
if ARGV[2] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[2] then
  return {-1, 0}
end
-- An evaluation already queued or running when its alert was deleted loads
-- an empty state (version 0): only the tombstone tells it apart from a new alert.
local deleted = redis.call('GET', KEYS[5])
if deleted and ARGV[9] ~= '' and tonumber(ARGV[9]) <= tonumber(deleted) then
  return {-2, 0}
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then
  return {0, version}
end
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ARGV[3]
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local result = {1, version + 1}
for i = 10, #ARGV do
  seq = seq + 1
  local id = ARGV[5] .. epoch .. ':' .. seq
  redis.call('HSET', KEYS[2], id, ARGV[i])
  result[#result + 1] = id
end
redis.call('HSET', KEYS[1], 'version', version + 1, 'epoch', epoch, 'seq', seq, 'state', ARGV[4], 'evaluationId', ARGV[8], 'updatedAt', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
return result

-- Records one step of one scheduled run (src/history/store.ts), and keeps
-- the history bounded, in one atomic step:
--   - the run's hash gets the fields given (startedAt only if not set yet:
--     it is the first attempt's), and the run is indexed by its due time;
--   - a final outcome moves the schedule's "last <outcome>" time forward
--     (never back: a late retry of an older run does not hide a newer one);
--   - runs due before now - retention, and the oldest beyond maxRuns, are
--     deleted; so are index entries and last times of schedules with no
--     record within the retention; every key expires after the retention.
-- Run hashes are named from ARGV[6] (the prefix of this schedule's run
-- keys), as BullMQ names job keys: under a hash-tagged QUEUE_PREFIX they
-- share the slot of KEYS.
--
-- KEYS: runs (sorted set), the run's hash, schedules index (sorted set), last times (hash).
-- ARGV: run id, due ms, now ms, retention ms, max runs, run key prefix,
--       schedule member, final outcome or '', ended ms or '', first start ms or '',
--       then field, value pairs for the run's hash.
-- Returns the number of runs the schedule keeps.
local runs, run, index, last = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local runId, due, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local retention, maxRuns, runPrefix, member = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local outcome, ended, started = ARGV[8], ARGV[9], ARGV[10]
local cutoff = now - retention
local outcomes = { 'delivered', 'nothing-to-send', 'failed' }

redis.call('ZADD', runs, due, runId)
if started ~= '' then redis.call('HSETNX', run, 'startedAt', started) end
if #ARGV > 10 then redis.call('HSET', run, unpack(ARGV, 11)) end
redis.call('PEXPIRE', run, retention)

if outcome ~= '' then
  local field = member .. '|' .. outcome
  local previous = tonumber(redis.call('HGET', last, field) or '0')
  if tonumber(ended) > previous then redis.call('HSET', last, field, ended) end
end

-- Bounded by age, then by count (the oldest go first).
local old = redis.call('ZRANGEBYSCORE', runs, '-inf', '(' .. cutoff)
for _, id in ipairs(old) do redis.call('DEL', runPrefix .. id) end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', runs, '-inf', '(' .. cutoff) end
local excess = redis.call('ZCARD', runs) - maxRuns
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', runs, 0, excess - 1)) do redis.call('DEL', runPrefix .. id) end
  redis.call('ZREMRANGEBYRANK', runs, 0, excess - 1)
end
redis.call('PEXPIRE', runs, retention)

-- Schedules with nothing recorded within the retention leave the index and the last times.
redis.call('ZADD', index, now, member)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff)) do
  for _, o in ipairs(outcomes) do redis.call('HDEL', last, gone .. '|' .. o) end
end
redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. cutoff)
redis.call('PEXPIRE', index, retention)
if redis.call('EXISTS', last) == 1 then redis.call('PEXPIRE', last, retention) end

return redis.call('ZCARD', runs)

-- Extends a lock only if the caller still owns it (src/alerts/lock.ts).
--
-- KEYS: lock. ARGV: owner token, new lifetime (ms).
-- Returns 1 if renewed, 0 if the lock is gone or someone else's.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0

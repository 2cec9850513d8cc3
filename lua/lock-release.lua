-- Deletes a lock only if the caller still owns it: never someone else's,
-- taken after ours expired (src/alerts/lock.ts).
--
-- KEYS: lock. ARGV: owner token.
-- Returns 1 if released, 0 if it was no longer ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

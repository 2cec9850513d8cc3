-- Removes a notification from an alert's outbox, and its count of failed
-- attempts (src/alerts/store.ts: markDelivered, abandonNotification).
--
-- KEYS: outbox, attempts. ARGV: notification id.
-- Returns 1 if it was pending, 0 if not (already settled).
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])

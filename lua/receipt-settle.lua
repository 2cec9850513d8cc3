-- Settles a claim (src/delivery/ledger.ts): writes the receipts of a send
-- that succeeded (HSETNX: the first id stays), and removes the claim when it
-- is still the caller's (the fencing token): a newer attempt's claim is
-- never touched. With an empty receipt, only the claim goes (nothing was sent).
--
-- KEYS: the receipts hash.
-- ARGV: token, receipt value ("" for none), hash TTL (s), then the receipt fields.
-- Returns the number of claims removed.
local token, receipt = ARGV[1], ARGV[2]
local removed = 0
for i = 4, #ARGV do
  local field = ARGV[i]
  if receipt ~= '' then redis.call('HSETNX', KEYS[1], field, receipt) end
  local claim = redis.call('HGET', KEYS[1], 'claim|' .. field)
  if claim and string.match(claim, '^%d+|([^|]*)|') == token then
    redis.call('HDEL', KEYS[1], 'claim|' .. field)
    removed = removed + 1
  end
end
if receipt ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return removed

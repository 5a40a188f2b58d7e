-- appendReceipts: records the receipts of accepted votes, so a voter can list theirs (and see
-- "pending") before the projections have applied them. Idempotent: a receipt whose voteId is
-- already recorded for that user is not appended again.
--
-- KEYS[1..N] receipt buckets, hashes userId -> "voteId|optionId|position;voteId|optionId|position;..."
-- ARGV[1]    expiry in seconds for the touched buckets (0 = none)
-- ARGV[2..]  3 values per receipt: index into KEYS of the user's bucket, userId, entry
--            ("voteId|optionId|position")
-- Returns    number of receipts appended
local appended = 0
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
  local bucket = KEYS[tonumber(ARGV[i])]
  local user, entry = ARGV[i + 1], ARGV[i + 2]
  local voteId = string.match(entry, '^([^|]*)')
  local current = redis.call('HGET', bucket, user)
  if not current then
    redis.call('HSET', bucket, user, entry)
    appended = appended + 1
  elseif not string.find(';' .. current .. ';', ';' .. voteId .. '|', 1, true) then
    redis.call('HSET', bucket, user, current .. ';' .. entry)
    appended = appended + 1
  end
end
if ttl > 0 then
  for k = 1, #KEYS do redis.call('EXPIRE', KEYS[k], ttl) end
end
return appended

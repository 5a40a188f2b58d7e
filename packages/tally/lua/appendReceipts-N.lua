-- appendReceipts: records the receipts of accepted votes, so a voter can list theirs (and see
-- "pending") before the projections have applied them. Idempotent: a receipt whose voteId is
-- already recorded for that user is not appended again. At most ARGV[2] receipts are kept per
-- user per election (the earliest): one user's list, copied on every append, must stay small,
-- or a single voter repeating votes could make this script block Redis for everyone. Later
-- attempts are still in the log and the vote store; votes/me lists the first ARGV[2].
--
-- KEYS[1..N] receipt buckets, hashes userId -> "voteId|optionId|position;voteId|optionId|position;..."
-- ARGV[1]    expiry in seconds for the touched buckets (0 = none)
-- ARGV[2]    most receipts kept per user
-- ARGV[3..]  3 values per receipt: index into KEYS of the user's bucket, userId, entry
--            ("voteId|optionId|position")
-- Returns    number of receipts appended
local appended = 0
local ttl = tonumber(ARGV[1])
local most = tonumber(ARGV[2])
for i = 3, #ARGV, 3 do
  local bucket = KEYS[tonumber(ARGV[i])]
  local user, entry = ARGV[i + 1], ARGV[i + 2]
  local voteId = string.match(entry, '^([^|]*)')
  local current = redis.call('HGET', bucket, user)
  if not current then
    redis.call('HSET', bucket, user, entry)
    appended = appended + 1
  else
    local _, separators = string.gsub(current, ';', ';')
    if separators + 1 < most and not string.find(';' .. current .. ';', ';' .. voteId .. '|', 1, true) then
      redis.call('HSET', bucket, user, current .. ';' .. entry)
      appended = appended + 1
    end
  end
end
if ttl > 0 then
  for k = 1, #KEYS do redis.call('EXPIRE', KEYS[k], ttl) end
end
return appended

-- applyVotes: applies one batch of logged votes of ONE election to the live tally, atomically.
-- Rule: per user, the vote with the smallest log position counts. Positions are fixed-width
-- digit strings (Redis log: 18 digits '-' 10 digits; Kafka log: 20 digits), so `<` orders them
-- correctly even though Redis compares Lua strings with strcoll under the server's locale.
-- Re-applying a vote already applied changes nothing, so a redelivered batch is harmless; a
-- vote that arrives after a later vote of the same user (possible after a takeover) replaces
-- it and moves the count. A vote after its partition's close marker (KEYS[3], recorded by
-- recordCloseMarkers-1 before the votes of the same batch) is rejected `after-close`: never
-- counted, and never displacing the vote that counts.
--
-- KEYS[1]    counts hash  optionId -> number of counted votes
-- KEYS[2]    meta hash    total -> counted votes, version -> bumped once per changing call,
--                         accepted -> votes applied whatever their fate (counted, duplicate,
--                         replacing, after-close; redeliveries of the counted vote excluded):
--                         sampled over time, it is the accepted-votes rate of all ingest processes
-- KEYS[3]    close hash   partition -> position of its close marker (absent while open)
-- KEYS[4..N] marker buckets, hashes userId -> "position|voteId|optionId"
-- ARGV[1]    channel on which the new version is published when something changed
-- ARGV[2..]  6 values per vote: index into KEYS of the user's bucket, userId, position,
--            voteId, optionId, partition
-- Returns    {counted, duplicates, replaced, redelivered, version, afterClose}
local counted, duplicates, replaced, redelivered, afterClose = 0, 0, 0, 0, 0
local closeAt = {}
local closing = redis.call('HGETALL', KEYS[3])
for i = 1, #closing, 2 do closeAt[closing[i]] = closing[i + 1] end
local deltas = {}
local order = {}
local function bump(option, by)
  if deltas[option] == nil then
    deltas[option] = 0
    order[#order + 1] = option
  end
  deltas[option] = deltas[option] + by
end

for i = 2, #ARGV, 6 do
  local bucket = KEYS[tonumber(ARGV[i])]
  local user, position, voteId, option = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local closedAt = closeAt[ARGV[i + 5]]
  if closedAt and position > closedAt then
    afterClose = afterClose + 1
  else
    local marker = position .. '|' .. voteId .. '|' .. option
    local current = redis.call('HGET', bucket, user)
    if not current then
      redis.call('HSET', bucket, user, marker)
      bump(option, 1)
      counted = counted + 1
    else
      local curPosition, curVoteId, curOption = string.match(current, '^([^|]*)|([^|]*)|(.*)$')
      if curVoteId == voteId then
        redelivered = redelivered + 1
      elseif position < curPosition then
        redis.call('HSET', bucket, user, marker)
        bump(curOption, -1)
        bump(option, 1)
        replaced = replaced + 1
      else
        duplicates = duplicates + 1
      end
    end
  end
end

local change = 0
for _, option in ipairs(order) do
  local delta = deltas[option]
  if delta ~= 0 then redis.call('HINCRBY', KEYS[1], option, delta) end
  change = change + delta
end

local seen = counted + duplicates + replaced + afterClose
if seen > 0 then redis.call('HINCRBY', KEYS[2], 'accepted', seen) end

local version
if counted + replaced > 0 then
  if change ~= 0 then redis.call('HINCRBY', KEYS[2], 'total', change) end
  version = redis.call('HINCRBY', KEYS[2], 'version', 1)
  redis.call('PUBLISH', ARGV[1], version)
else
  version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
end
return {counted, duplicates, replaced, redelivered, version, afterClose}

-- repairMarkers: merges one batch of the history's counted votes (the DynamoDB fold, a reprocess)
-- into ONE sub-shard of an election's live tally, atomically, while applyVotes-N.lua goes on
-- applying the log. The fold may lag the live worker, so nothing the live tally holds is
-- overwritten with less: per user, the vote with the smallest log position counts (the rule of
-- applyVotes). A folded vote whose user has no marker (a write lost with a failed-over primary, a
-- deleted key) is marked and counted; one earlier than the user's marker replaces it and moves
-- the count; one equal to or later than the marker changes nothing (a live-applied vote beyond
-- the fold keeps its count). Running the same batch again changes nothing.
-- The sub-shard's total is then set to the sum of its counts (applyVotes keeps them equal; this
-- restores it when the counts or the meta were lost on their own), and options listed in ARGV
-- get a 0 count if they have none.
--
-- KEYS[1]    counts hash  optionId -> number of counted votes
-- KEYS[2]    meta hash    total, version (see applyVotes-N.lua)
-- KEYS[3..N] marker buckets, hashes userId -> "position|voteId|optionId"
-- ARGV[1]    channel on which the new version is published when something changed
-- ARGV[2]    k, the number of option ids that follow (0 for sub-shards other than 0)
-- ARGV[3..2+k] option ids whose count is created at 0 when absent
-- ARGV[3+k..] 5 values per vote: index into KEYS of the user's bucket, userId, position,
--            voteId, optionId
-- Returns    {restored, replaced, kept, version}: votes marked and counted, votes that replaced
--            a later marker, votes the live tally already held (or held an earlier vote for)
local restored, replaced, kept = 0, 0, 0
local options = tonumber(ARGV[2])
local changed = false
for i = 3, 2 + options do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 0) == 1 then changed = true end
end

local deltas = {}
local order = {}
local function bump(option, by)
  if deltas[option] == nil then
    deltas[option] = 0
    order[#order + 1] = option
  end
  deltas[option] = deltas[option] + by
end

for i = 3 + options, #ARGV, 5 do
  local bucket = KEYS[tonumber(ARGV[i])]
  local user, position, voteId, option = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local marker = position .. '|' .. voteId .. '|' .. option
  local current = redis.call('HGET', bucket, user)
  if not current then
    redis.call('HSET', bucket, user, marker)
    bump(option, 1)
    restored = restored + 1
  else
    local curPosition, curVoteId, curOption = string.match(current, '^([^|]*)|([^|]*)|(.*)$')
    if curVoteId ~= voteId and position < curPosition then
      redis.call('HSET', bucket, user, marker)
      bump(curOption, -1)
      bump(option, 1)
      replaced = replaced + 1
    else
      kept = kept + 1
    end
  end
end

for _, option in ipairs(order) do
  local delta = deltas[option]
  if delta ~= 0 then
    redis.call('HINCRBY', KEYS[1], option, delta)
    changed = true
  end
end

local sum = 0
local counts = redis.call('HVALS', KEYS[1])
for _, n in ipairs(counts) do sum = sum + tonumber(n) end
if tonumber(redis.call('HGET', KEYS[2], 'total') or '-1') ~= sum then
  redis.call('HSET', KEYS[2], 'total', sum)
  changed = true
end

local version
if changed or replaced > 0 then
  version = redis.call('HINCRBY', KEYS[2], 'version', 1)
  redis.call('PUBLISH', ARGV[1], version)
else
  version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
end
return {restored, replaced, kept, version}

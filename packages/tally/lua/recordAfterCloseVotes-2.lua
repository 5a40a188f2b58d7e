-- recordAfterCloseVotes: remembers which log records of ONE election sit after their
-- partition's close marker, as a set of "partition|position" (a redelivery adds nothing). The
-- set's size is exact where the `accepted` counter is not (that one grows on redeliveries): the
-- recount compares it with the reconciliation's after-close count to learn, without a fold,
-- that a vote reached the log after the close and after its recount. Called only for batches
-- in which applyVotes-N.lua reported after-close votes, with that batch's votes; it applies
-- the same rule (position > the partition's marker).
--
-- KEYS[1]    close hash        partition -> position of the partition's close marker
-- KEYS[2]    after-close set   "partition|position" of every after-close record applied
-- ARGV[1..]  2 values per vote: partition, position
-- Returns    number of records added to the set
local closing = redis.call('HGETALL', KEYS[1])
local closeAt = {}
for i = 1, #closing, 2 do closeAt[closing[i]] = closing[i + 1] end
local added = 0
for i = 1, #ARGV, 2 do
  local partition, position = ARGV[i], ARGV[i + 1]
  local closedAt = closeAt[partition]
  if closedAt and position > closedAt then
    added = added + redis.call('SADD', KEYS[2], partition .. '|' .. position)
  end
end
return added

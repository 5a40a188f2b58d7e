-- advanceFinalSizes: moves the final checkpoint sizes of ONE election's partitions forward,
-- never back. A final size is first set when the official result is computed; a vote that
-- reaches the log after the close and after the recount is re-reconciled, and the final
-- checkpoint then moves to cover it (append-only: the new checkpoint is consistent with the
-- previous one). Two processes racing with reconciliations of different ages cannot move a
-- size backwards.
--
-- KEYS[1]    final hash  partition -> size of the final checkpoint
-- ARGV[1..]  2 values per partition: partition, size
-- Returns    number of partitions whose final size moved
local moved = 0
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(ARGV[i + 1]) > tonumber(current) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved

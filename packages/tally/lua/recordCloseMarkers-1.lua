-- recordCloseMarkers: records where an election's close markers sit in the log, per partition.
-- The smallest position per partition rules (a close retried after a crash appends a second
-- marker further on; the first one already decided), so applying markers in any order, any
-- number of times, ends in the same state.
--
-- KEYS[1]    close hash  partition -> position of the partition's close marker
-- ARGV[1..]  2 values per marker: partition, position
-- Returns    number of partitions whose recorded marker changed
local changed = 0
for i = 1, #ARGV, 2 do
  local partition, position = ARGV[i], ARGV[i + 1]
  local current = redis.call('HGET', KEYS[1], partition)
  if not current or position < current then
    redis.call('HSET', KEYS[1], partition, position)
    changed = changed + 1
  end
end
return changed

-- publishCheckpoint: moves a tree's latest checkpoint forward only from the size the publisher
-- read, so two publishers can never both sign (CheckpointStore in src/checkpoint-store.ts).
--
-- KEYS[1]   latest checkpoint, a string "<size>|<base64 root>|<note>"
-- KEYS[2]   every published checkpoint, a hash size -> "<size>|<base64 root>|<note>"
-- ARGV[1]   the latest size the publisher read ("" = none yet)
-- ARGV[2]   the new size
-- ARGV[3]   the new record "<size>|<base64 root>|<note>"
-- Returns   {"OK"} | {"CHECKPOINT_CONFLICT", latest size or ""} (nothing written)
local latest = redis.call('GET', KEYS[1])
local size = ''
if latest then size = string.match(latest, '^(%d+)|') end
if size ~= ARGV[1] then
  return {'CHECKPOINT_CONFLICT', size}
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return {'OK'}

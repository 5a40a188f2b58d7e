-- commitTree: one TreeStore commit (packages/transparency/src/tree-store.ts), atomically:
-- nodes are write-once, and the size moves only from the expected size.
--
-- KEYS[1]   the tree's nodes, a hash "level:index" -> 32-byte hash (binary)
-- KEYS[2]   the tree's state, a string "<size>|<cursor>" (absent = size 0, cursor "")
-- ARGV[1]   expected size
-- ARGV[2]   new size
-- ARGV[3]   cursor
-- ARGV[4..] pairs: node field, node hash
-- Returns   {"OK", new size} | {"TREE_NODE_CONFLICT", field} | {"TREE_SIZE_CONFLICT", actual size}
--           (on a conflict nothing is written)
for i = 4, #ARGV, 2 do
  local existing = redis.call('HGET', KEYS[1], ARGV[i])
  if existing and existing ~= ARGV[i + 1] then
    return {'TREE_NODE_CONFLICT', ARGV[i]}
  end
end
local state = redis.call('GET', KEYS[2])
local size = 0
if state then size = tonumber(string.match(state, '^(%d+)|')) end
if size ~= tonumber(ARGV[1]) then
  return {'TREE_SIZE_CONFLICT', tostring(size)}
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('SET', KEYS[2], ARGV[2] .. '|' .. ARGV[3])
return {'OK', ARGV[2]}

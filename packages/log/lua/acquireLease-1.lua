-- acquireLease: takes a partition lease if it is free, or if it is held under this member's own
-- name (this member restarted: member names are stable and never shared by two processes), so a
-- restarted worker resumes its partitions at once instead of waiting for its old leases to expire.
--
-- KEYS[1]  lease key, value "member|token"
-- ARGV[1]  the new value "member|token"
-- ARGV[2]  "member|" (this member's prefix of any value it wrote)
-- ARGV[3]  lease time, ms
-- Returns  1 if this member now holds the lease, 0 if another member does
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, #ARGV[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1

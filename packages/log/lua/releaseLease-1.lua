-- releaseLease: deletes a partition lease only if this member still holds it (compare-and-delete),
-- so a member handing a partition back never frees one that another member already took.
--
-- KEYS[1]  lease key, value "member|token"
-- ARGV[1]  the value this member wrote when it took the lease
-- Returns  1 if released, 0 if the lease was not (or no longer) this member's
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

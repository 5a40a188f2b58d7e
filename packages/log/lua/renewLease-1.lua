-- renewLease: extends a partition lease only if this member still holds it (compare-and-expire),
-- so a member never prolongs a lease another member took after its own had expired.
--
-- KEYS[1]  lease key, value "member|token" (SET NX PX by the member that took it)
-- ARGV[1]  the value this member wrote when it took the lease
-- ARGV[2]  new lease time, ms
-- Returns  1 if renewed, 0 if the lease is gone or held by someone else
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0

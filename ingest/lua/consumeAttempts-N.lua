-- consumeAttempts: the vote path's per-user attempt limit and the election's votes/s ceiling for
-- every vote of one election that arrived in one event-loop turn, in arrival order: one call per
-- batch instead of one per vote. Each check is rate-limiter-flexible's RateLimiterRedis consume
-- (same counter, window and verdict; see consume below), done in sequence, so a user twice in a batch spends two
-- attempts and the outcome equals that of the same consumes sent one by one. A check refused by
-- the user rule does not spend a point of the ceiling (the route used to stop at the first refusal).
--
-- KEYS[1]    the election's ceiling counter (1 s window; untouched when ARGV[3] is 0)
-- KEYS[2..N] per-user attempt counters ({<electionId>}-tagged: one cluster slot per call)
-- ARGV[1]    attempts per user per window
-- ARGV[2]    the user window in seconds
-- ARGV[3]    the election's votes/s ceiling (0 = none)
-- ARGV[4..]  per check: index into KEYS of the user's counter
-- Returns    per check two integers: verdict (0 admitted, 1 refused by the user rule, 2 by the
--            ceiling) and the refusing counter's milliseconds to its reset (0 when admitted)

-- rate-limiter-flexible's consume of one point (its script: SET 0 EX NX, INCRBY, PTTL, EXPIRE if no TTL),
-- with the same counter, window and outcome in fewer commands: the window starts at the first
-- point, and the TTL is read only when the caller needs it (a refusal's Retry-After).
local function consume(key, window, limit)
  local consumed = redis.call('INCR', key)
  if consumed == 1 then
    redis.call('EXPIRE', key, window)
    return consumed, 1000 * window
  end
  if consumed <= limit then return consumed, 0 end
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('EXPIRE', key, window)
    ttl = 1000 * window
  end
  return consumed, ttl
end

local attempts, window, ceiling = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local consumed, ttl = consume(KEYS[tonumber(ARGV[i])], window, attempts)
  if consumed > attempts then
    out[#out + 1] = 1
    out[#out + 1] = ttl
  elseif ceiling > 0 then
    local spent, left = consume(KEYS[1], 1, ceiling)
    if spent > ceiling then
      out[#out + 1] = 2
      out[#out + 1] = left
    else
      out[#out + 1] = 0
      out[#out + 1] = 0
    end
  else
    out[#out + 1] = 0
    out[#out + 1] = 0
  end
end
return out

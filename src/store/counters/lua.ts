/**
 * The Lua side of the Redis counters. Registered with ioredis `defineCommand`: EVAL the
 * first time on a connection, EVALSHA after, EVAL again only on NOSCRIPT.
 * Numbers computed in Lua go back to Redis through string.format('%d'): Redis would print a
 * Lua number with %.14g and lose digits. The decision arithmetic is exactly
 * core/limits.ts `failedLimits` (keep them in step).
 */

/** Shared helpers. Reservation records are "cost|tokens|windowStartMs|day|month". */
const HELPERS = `
local function num(v) return tonumber(v) or 0 end
local function int(x) return string.format('%d', x) end
local function parse(rec)
  local cost, tokens, ws, day, month = string.match(rec, '^(%d+)|(%d+)|(%-?%d+)|([^|]+)|([^|]+)$')
  return tonumber(cost), tonumber(tokens), ws, day, month
end
-- take a reservation's cost off the reserved sums held in the reservations hash
local function unreserve(hash, cost, day, month)
  if cost <= 0 then return end
  for _, field in ipairs({'d:' .. day, 'm:' .. month}) do
    if redis.call('HINCRBY', hash, field, int(-cost)) <= 0 then redis.call('HDEL', hash, field) end
  end
end
`;

/**
 * KEYS: 1 current bucket, 2 previous bucket, 3 spent day, 4 spent month,
 *       5 reservation expiry zset, 6 reservations hash, 7 seeded flag
 * ARGV: 1 nowMs, 2 elapsedMs, 3 rpm, 4 tpm, 5 est tokens, 6 daily budget, 7 monthly budget
 *       (limits: -1 = none), 8 est cost, 9 reservation id, 10 day, 11 month, 12 windowStartMs,
 *       13 expiresAtMs, 14 bucket ttl, 15 reservations ttl, 16 '1' when the key must be seeded
 * Returns {failedMask (1 rpm, 2 tpm, 4 daily, 8 monthly), prevN, currN, prevT, currT,
 *          dayUsed, monthUsed}; reserves only when the mask is 0. {-1} when the key must be
 *          seeded from the ledger first (nothing recorded).
 */
export const ADMIT_LUA = `${HELPERS}
if redis.call('HEXISTS', KEYS[6], 'r:' .. ARGV[9]) == 1 then
  return redis.error_reply('ERR duplicate reservation id')
end
-- the seed flag holds the ms until which it stands (compared with the caller's clock)
if ARGV[16] == '1' and num(redis.call('GET', KEYS[7])) <= tonumber(ARGV[1]) then return {-1} end

-- reservations whose process died: stop counting them
local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  local rec = redis.call('HGET', KEYS[6], 'r:' .. id)
  if rec then
    local cost, _, _, day, month = parse(rec)
    unreserve(KEYS[6], cost, day, month)
    redis.call('HDEL', KEYS[6], 'r:' .. id)
  end
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[1]) end

local prev = redis.call('HMGET', KEYS[2], 'n', 't')
local curr = redis.call('HMGET', KEYS[1], 'n', 't')
local reserved = redis.call('HMGET', KEYS[6], 'd:' .. ARGV[10], 'm:' .. ARGV[11])
local prevN, prevT, currN, currT = num(prev[1]), num(prev[2]), num(curr[1]), num(curr[2])
local dayUsed = num(redis.call('GET', KEYS[3])) + num(reserved[1])
local monthUsed = num(redis.call('GET', KEYS[4])) + num(reserved[2])

local elapsed = tonumber(ARGV[2])
local function sliding(p, c) return math.floor(p * (60000 - elapsed) / 60000) + c end
local rpm, tpm, est = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local daily, monthly = tonumber(ARGV[6]), tonumber(ARGV[7])
local failed = 0
if rpm >= 0 and sliding(prevN, currN) + 1 > rpm then failed = failed + 1 end
if tpm >= 0 and sliding(prevT, currT) + est > tpm then failed = failed + 2 end
if daily >= 0 and dayUsed >= daily then failed = failed + 4 end
if monthly >= 0 and monthUsed >= monthly then failed = failed + 8 end
local snapshot = {failed, prevN, currN, prevT, currT, dayUsed, monthUsed}
if failed > 0 then return snapshot end

redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HINCRBY', KEYS[1], 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[14])
redis.call('ZADD', KEYS[5], ARGV[13], ARGV[9])
redis.call('HSET', KEYS[6], 'r:' .. ARGV[9],
  ARGV[8] .. '|' .. ARGV[5] .. '|' .. ARGV[12] .. '|' .. ARGV[10] .. '|' .. ARGV[11])
if tonumber(ARGV[8]) > 0 then
  redis.call('HINCRBY', KEYS[6], 'd:' .. ARGV[10], ARGV[8])
  redis.call('HINCRBY', KEYS[6], 'm:' .. ARGV[11], ARGV[8])
end
redis.call('PEXPIRE', KEYS[5], ARGV[15])
redis.call('PEXPIRE', KEYS[6], ARGV[15])
return snapshot
`;

/**
 * Settle or release one reservation.
 * KEYS: 1 the reservation's bucket, 2 spent day, 3 spent month, 4 expiry zset, 5 reservations hash
 * ARGV: 1 reservation id, 2 'settle' | 'release', 3 actual tokens, 4 actual cost,
 *       5 day ttl, 6 month ttl, 7 expected "windowStartMs|day|month"
 * Returns 1 when applied, 0 when already settled / released / purged.
 */
export const FINISH_LUA = `${HELPERS}
local rec = redis.call('HGET', KEYS[5], 'r:' .. ARGV[1])
if not rec then return 0 end
local cost, tokens, ws, day, month = parse(rec)
if ws .. '|' .. day .. '|' .. month ~= ARGV[7] then
  return redis.error_reply('ERR reservation mismatch')
end
redis.call('HDEL', KEYS[5], 'r:' .. ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
unreserve(KEYS[5], cost, day, month)

local settle = ARGV[2] == 'settle'
local actualTokens = 0
if settle then actualTokens = tonumber(ARGV[3]) end
local delta = actualTokens - tokens
-- only while the bucket still exists: a late settle must not resurrect it without a TTL
if delta ~= 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 't', int(delta))
end
if settle and tonumber(ARGV[4]) > 0 then
  redis.call('INCRBY', KEYS[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('INCRBY', KEYS[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
return 1
`;

/**
 * Spent + reservations still live at nowMs; writes nothing.
 * KEYS: 1 spent day, 2 spent month, 3 expiry zset, 4 reservations hash
 * ARGV: 1 nowMs, 2 day, 3 month
 */
export const SPEND_LUA = `${HELPERS}
local day, month = ARGV[2], ARGV[3]
local reserved = redis.call('HMGET', KEYS[4], 'd:' .. day, 'm:' .. month)
local dayUsed = num(redis.call('GET', KEYS[1])) + num(reserved[1])
local monthUsed = num(redis.call('GET', KEYS[2])) + num(reserved[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])) do
  local rec = redis.call('HGET', KEYS[4], 'r:' .. id)
  if rec then
    local cost, _, _, rday, rmonth = parse(rec)
    if rday == day then dayUsed = dayUsed - cost end
    if rmonth == month then monthUsed = monthUsed - cost end
  end
end
return {dayUsed, monthUsed}
`;

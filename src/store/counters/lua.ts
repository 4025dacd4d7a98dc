/**
 * The Lua side of the Redis counters (key layout in keys.ts). Registered with ioredis
 * `defineCommand`: EVAL the first time on a connection, EVALSHA after, EVAL again only on NOSCRIPT.
 * Every redis.call costs Redis about a microsecond, so the hot path stays at a handful whatever
 * the batch's size: a key's batch of settlements and admits is one HMGET, one ZMSCORE, one ZADD,
 * one ZREM and one HSET.
 * Numbers computed in Lua go back to Redis through string.format('%d'): Redis would print a
 * Lua number with %.14g and lose digits. The decision arithmetic is exactly core/limits.ts
 * `failedLimits` (keep them in step).
 */
import { DAY_KEY_TTL_MS, MONTH_KEY_TTL_MS, RESERVATION_TTL_MS, TTL_REFRESH_MS, WINDOW_MS } from "./keys.ts";

/** Shared helpers. Reservation members are "id|cost|tokens|windowStartMs|day|month". */
const HELPERS = `
local WINDOW, RES_TTL, KEY_TTL = ${WINDOW_MS}, ${RESERVATION_TTL_MS}, ${MONTH_KEY_TTL_MS}
local function num(v) return tonumber(v) or 0 end
local function int(x) return string.format('%d', x) end
local function parse(m)
  local id, cost, tokens, ws, day, month = string.match(m, '^([^|]+)|(%d+)|(%d+)|(%-?%d+)|([^|]+)|([^|]+)$')
  return id, tonumber(cost), tonumber(tokens), tonumber(ws), day, month
end
`;

/** UTC "YYYY-MM-DD" of a day number since the epoch (H. Hinnant's civil_from_days). */
const CIVIL = `
local function civil(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end
`;

/**
 * One key's batch: its queued settlements / releases first, then its admits, one after the
 * other, as if each were its own script. Settlements ride with the next admit of their key (one
 * script call per request in steady state instead of an admit and a settle), and go out alone
 * (no admits) when none comes within the settle delay. The key's state is read once (one HMGET,
 * other fields on demand), decided on in Lua, and written back once (one HSET, one ZREM for the
 * settled reservations, one ZADD for the new ones).
 * KEYS: 1 state hash, 2 reservations zset
 * ARGV: 1 the number of settlements S; then per settlement 3 values: the reservation member,
 *       the actual tokens and cost (release = 0, 0); then per admit 3 values: nowMs; the limits
 *       "rpm|tpm|daily|monthly|seed" (limits: -1 = none; seed '1' when the key must be seeded),
 *       one string so that a batch, whose requests almost always share them, sends and parses
 *       them once (Lua interns strings: comparing with the previous request's is a pointer
 *       comparison); the reservation member (carries the estimates, the window start, the day
 *       and the month)
 * Returns per admit, then per settlement:
 *   admit: 0 admitted (reserved); {failedMask (1 rpm, 2 tpm, 4 daily, 8 monthly), prevN, currN,
 *     prevT, currT, dayUsed, monthUsed} denied, nothing recorded; -1 the key must be seeded from
 *     the ledger first (nothing recorded); 'dup' the reservation id is already held.
 *   settlement: 1 applied, 0 already settled / released / purged (or repeated in this batch),
 *     -1 the id is held but with other data (a tampered reservation).
 */
export const BATCH_LUA = `${HELPERS}${CIVIL}
local s, x = KEYS[1], KEYS[2]
local S = tonumber(ARGV[1])
local A = 1 + 3 * S -- admit i's values are ARGV[A + 3i - 2 .. A + 3i]
local n = (#ARGV - A) / 3
local _, _, _, _, day1, month1 = parse(n > 0 and ARGV[A + 3] or ARGV[2])
local F, dirty, dirtyList = {}, {}, {}
local names = {'w', 'n', 't', 'pn', 'pt', 'seeded', 'e', 'd', 'xr', 'sd:' .. day1, 'rd:' .. day1, 'sm:' .. month1, 'rm:' .. month1}
local loaded = redis.call('HMGET', s, unpack(names))
for i, k in ipairs(names) do F[k] = loaded[i] end
-- fields are strings, numbers, or false when absent (written back as HDEL)
local function get(k)
  local v = F[k]
  if v == nil then v = redis.call('HGET', s, k); F[k] = v end
  return v
end
local function set(k, v)
  F[k] = v
  if not dirty[k] then dirty[k] = true; dirtyList[#dirtyList + 1] = k end
end
-- settlements' members, then admits': whether each is held
local members = {}
for j = 1, S do members[j] = ARGV[3 * j - 1] end
for i = 1, n do members[S + i] = ARGV[A + 3 * i] end
local held = redis.call('ZMSCORE', x, unpack(members))
local result = {}
-- the previous member's day / month and their field names, reused while they repeat
local fDay, sdF, rdF, fMonth, smF, rmF
local function fieldsOf(day, month)
  if day ~= fDay then fDay, sdF, rdF = day, 'sd:' .. day, 'rd:' .. day end
  if month ~= fMonth then fMonth, smF, rmF = month, 'sm:' .. month, 'rm:' .. month end
end

local function heldAsOther(m)
  local id = parse(m)
  if not id then return false end
  local pattern = (string.gsub(id, '[%*%?%[%]\\\\]', '\\\\%0')) .. '|*'
  local cursor = '0'
  repeat
    local page = redis.call('ZSCAN', x, cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = page[1]
    if #page[2] > 0 then return true end
  until cursor == '0'
  return false
end
local settled, removed = {}, {}
for j = 1, S do
  local m = ARGV[3 * j - 1]
  if held[j] and not settled[m] then
    settled[m] = true
    removed[#removed + 1] = m
    local _, cost, tokens, ws, day, month = parse(m)
    fieldsOf(day, month)
    -- only while the window is still held: a late settle must not rewrite a newer one
    local delta = tonumber(ARGV[3 * j]) - tokens
    if delta ~= 0 then
      local w = tonumber(get('w'))
      if w == ws then set('t', num(get('t')) + delta)
      elseif w == ws + WINDOW then set('pt', num(get('pt')) + delta) end
    end
    if cost > 0 then set(rdF, num(get(rdF)) - cost); set(rmF, num(get(rmF)) - cost) end
    local actual = tonumber(ARGV[3 * j + 1])
    if actual > 0 then set(sdF, num(get(sdF)) + actual); set(smF, num(get(smF)) + actual) end
    result[n + j] = 1
  elseif settled[m] or not heldAsOther(m) then
    result[n + j] = 0
  else
    result[n + j] = -1
  end
end

local added, zargs = {}, {}
local lastNow
local floor = math.floor
local function sliding(p, c, elapsed) return floor(p * (WINDOW - elapsed) / WINDOW) + c end
-- the previous request's limits, reused while they repeat
local lim, rpm, tpm, daily, monthly, seed

for i = 1, n do
  local o = A + 3 * (i - 1)
  local now, member = tonumber(ARGV[o + 1]), ARGV[o + 3]
  lastNow = ARGV[o + 1]
  if ARGV[o + 2] ~= lim then
    lim = ARGV[o + 2]
    local a, b, c, d, f = string.match(lim, '^(%-?%d+)|(%-?%d+)|(%-?%d+)|(%-?%d+)|([01])$')
    rpm, tpm, daily, monthly, seed = tonumber(a), tonumber(b), tonumber(c), tonumber(d), f == '1'
  end
  local _, cost, est, ws, day, month = parse(member)
  fieldsOf(day, month)
  -- the seed flag holds the ms until which it stands (compared with the caller's clock)
  if seed and num(get('seeded')) <= now then
    result[i] = -1
  else
    -- reservations whose process died: stop counting them (e: the earliest live expiry)
    local e = tonumber(get('e'))
    if e and e <= now then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', x, '-inf', ARGV[o + 1])) do
        local _, c, _, _, rday, rmonth = parse(m)
        -- settled ones in this call are accounted already (their ZREM comes last)
        if c > 0 and not settled[m] then
          set('rd:' .. rday, num(get('rd:' .. rday)) - c)
          set('rm:' .. rmonth, num(get('rm:' .. rmonth)) - c)
        end
      end
      redis.call('ZREMRANGEBYSCORE', x, '-inf', ARGV[o + 1])
      local first = redis.call('ZRANGE', x, 0, 0, 'WITHSCORES')
      set('e', first[2] or false)
    end
    -- a new day: drop day fields older than ${DAY_KEY_TTL_MS} ms and month fields older than
    -- KEY_TTL, as the memory twin prunes
    local d = get('d')
    if not d or day > d then
      set('d', day)
      local cutDay = civil(math.floor((now - ${DAY_KEY_TTL_MS}) / 86400000))
      local cutMonth = string.sub(civil(math.floor((now - KEY_TTL) / 86400000)), 1, 7)
      for _, k in ipairs(redis.call('HKEYS', s)) do
        local unit, when = string.match(k, '^[sr]([dm]):(.+)$')
        if (unit == 'd' and when < cutDay) or (unit == 'm' and when < cutMonth) then set(k, false) end
      end
    end

    -- the rate window: w is the newest window written, pn/pt the one before it
    local w = tonumber(get('w'))
    local prevN, prevT, currN, currT, slot = 0, 0, 0, 0, 'new'
    if w == ws then
      currN, currT, prevN, prevT, slot = num(get('n')), num(get('t')), num(get('pn')), num(get('pt')), 'curr'
    elseif w == ws - WINDOW then
      prevN, prevT, slot = num(get('n')), num(get('t')), 'roll'
    elseif w == ws + WINDOW then
      currN, currT, slot = num(get('pn')), num(get('pt')), 'prev' -- a caller whose clock is a window behind
    elseif w and w > ws then
      slot = 'none'
    end
    local rd, rm = num(get(rdF)), num(get(rmF))
    local dayUsed = num(get(sdF)) + rd
    local monthUsed = num(get(smF)) + rm

    local elapsed = now - ws
    local failed = 0
    if rpm >= 0 and sliding(prevN, currN, elapsed) + 1 > rpm then failed = failed + 1 end
    if tpm >= 0 and sliding(prevT, currT, elapsed) + est > tpm then failed = failed + 2 end
    if daily >= 0 and dayUsed >= daily then failed = failed + 4 end
    if monthly >= 0 and monthUsed >= monthly then failed = failed + 8 end

    if failed > 0 then
      result[i] = {failed, prevN, currN, prevT, currT, dayUsed, monthUsed}
    elseif (held[S + i] and not settled[member]) or added[member] then
      result[i] = 'dup'
    else
      added[member] = true
      zargs[#zargs + 1] = int(now + RES_TTL)
      zargs[#zargs + 1] = member
      if slot == 'curr' then
        set('n', currN + 1); set('t', currT + est)
      elseif slot == 'roll' or slot == 'new' then
        set('w', ws); set('n', 1); set('t', est); set('pn', prevN); set('pt', prevT)
      elseif slot == 'prev' then
        set('pn', currN + 1); set('pt', currT + est)
      end
      if cost > 0 then set(rdF, rd + cost); set(rmF, rm + cost) end
      result[i] = 0
    end
  end
end

if #zargs > 0 then
  redis.call('ZADD', x, unpack(zargs))
  local xr = tonumber(get('xr'))
  local now = tonumber(lastNow)
  local refresh = not get('e') or not xr or now >= xr + ${TTL_REFRESH_MS} or now < xr
  if not get('e') then
    -- the set was empty (or state was lost): its earliest member is the new e
    set('e', redis.call('ZRANGE', x, 0, 0, 'WITHSCORES')[2])
  end
  if refresh then set('xr', lastNow) end
  if refresh then redis.call('PEXPIRE', x, KEY_TTL) end
end
-- Settled reservations leave the zset after the new ones joined: it only empties (and loses its
-- TTL) when no admit came, and then the next admit sets its TTL and e again.
if #removed > 0 then
  local gone = {}
  for _, m in ipairs(removed) do if not added[m] then gone[#gone + 1] = m end end
  if #gone > 0 then redis.call('ZREM', x, unpack(gone)) end
  if #zargs == 0 and redis.call('EXISTS', x) == 0 then set('e', false) end
end
local h, gone = {}, {}
for _, k in ipairs(dirtyList) do
  local v = F[k]
  if v == false then
    gone[#gone + 1] = k
  else
    h[#h + 1] = k
    h[#h + 1] = type(v) == 'number' and int(v) or v
  end
end
if #gone > 0 then redis.call('HDEL', s, unpack(gone)) end
if #h > 0 then
  redis.call('HSET', s, unpack(h))
  -- TTL with the first write of a day and with each refresh of the reservations' TTL
  if dirty['d'] or dirty['xr'] then redis.call('PEXPIRE', s, KEY_TTL) end
end
return result
`;

/**
 * Spent + reservations still live at nowMs; writes nothing.
 * KEYS: 1 state hash, 2 reservations zset
 * ARGV: 1 nowMs, 2 day, 3 month
 */
export const SPEND_LUA = `${HELPERS}
local day, month = ARGV[2], ARGV[3]
local f = redis.call('HMGET', KEYS[1], 'sd:' .. day, 'rd:' .. day, 'sm:' .. month, 'rm:' .. month)
local dayUsed, monthUsed = num(f[1]) + num(f[2]), num(f[3]) + num(f[4])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])) do
  local _, cost, _, _, rday, rmonth = parse(m)
  if rday == day then dayUsed = dayUsed - cost end
  if rmonth == month then monthUsed = monthUsed - cost end
end
return {dayUsed, monthUsed}
`;

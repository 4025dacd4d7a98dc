/**
 * The Lua side of the Redis counters (key layout in keys.ts). Registered with ioredis
 * `defineCommand`: EVAL the first time on a connection, EVALSHA after, EVAL again only on NOSCRIPT.
 * Every redis.call costs Redis about a microsecond, so the hot paths stay at a handful: an admit
 * batch is one HMGET, one ZMSCORE, one ZADD and one HSET; a settlement batch is a fixed few
 * calls too, whatever its size.
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
 * Admit a batch of one key's requests, one after the other, as if each were its own script:
 * the key's state is read once (one HMGET, other fields on demand), decided on in Lua, and
 * written back once (one HSET, one ZADD for every reservation).
 * KEYS: 1 state hash, 2 reservations zset
 * ARGV: per request 3 values: nowMs; the limits "rpm|tpm|daily|monthly|seed" (limits: -1 =
 *       none; seed '1' when the key must be seeded), one string so that a batch, whose
 *       requests almost always share them, sends and parses them once (Lua interns strings:
 *       comparing with the previous request's is a pointer comparison); the reservation
 *       member (carries the estimates, the window start, the day and the month)
 * Returns per request: 0 admitted (reserved); {failedMask (1 rpm, 2 tpm, 4 daily, 8 monthly),
 * prevN, currN, prevT, currT, dayUsed, monthUsed} denied, nothing recorded; -1 the key must be
 * seeded from the ledger first (nothing recorded); 'dup' the reservation id is already held.
 */
export const ADMIT_LUA = `${HELPERS}${CIVIL}
local s, x = KEYS[1], KEYS[2]
local n = #ARGV / 3
local _, _, _, _, day1, month1 = parse(ARGV[3])
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
local members = {}
for i = 1, n do members[i] = ARGV[3 * i] end
local held = redis.call('ZMSCORE', x, unpack(members))
local added, zargs, result = {}, {}, {}
local lastNow
local floor = math.floor
local function sliding(p, c, elapsed) return floor(p * (WINDOW - elapsed) / WINDOW) + c end
-- the previous request's limits and field names, reused while they repeat
local lim, rpm, tpm, daily, monthly, seed
local fDay, sdF, rdF, fMonth, smF, rmF

for i = 1, n do
  local o = 3 * (i - 1)
  local now, member = tonumber(ARGV[o + 1]), ARGV[o + 3]
  lastNow = ARGV[o + 1]
  if ARGV[o + 2] ~= lim then
    lim = ARGV[o + 2]
    local a, b, c, d, f = string.match(lim, '^(%-?%d+)|(%-?%d+)|(%-?%d+)|(%-?%d+)|([01])$')
    rpm, tpm, daily, monthly, seed = tonumber(a), tonumber(b), tonumber(c), tonumber(d), f == '1'
  end
  local _, cost, est, ws, day, month = parse(member)
  if day ~= fDay then fDay, sdF, rdF = day, 'sd:' .. day, 'rd:' .. day end
  if month ~= fMonth then fMonth, smF, rmF = month, 'sm:' .. month, 'rm:' .. month end
  -- the seed flag holds the ms until which it stands (compared with the caller's clock)
  if seed and num(get('seeded')) <= now then
    result[i] = -1
  else
    -- reservations whose process died: stop counting them (e: the earliest live expiry)
    local e = tonumber(get('e'))
    if e and e <= now then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', x, '-inf', ARGV[o + 1])) do
        local _, c, _, _, rday, rmonth = parse(m)
        if c > 0 then
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
    elseif held[i] or added[member] then
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
 * Settle or release a batch of one key's reservations (release = settle with 0 tokens, 0 cost).
 * KEYS: 1 state hash, 2 reservations zset
 * ARGV: triples of (reservation member, actual tokens, actual cost)
 * Returns per triple: 1 applied, 0 already settled / released / purged (or repeated in this
 * batch), -1 the id is held but with other data (a tampered reservation).
 */
export const FINISH_LUA = `${HELPERS}
local s, x = KEYS[1], KEYS[2]
local n = #ARGV / 3
local members = {}
for i = 1, n do members[i] = ARGV[3 * i - 2] end
local scores = redis.call('ZMSCORE', x, unpack(members))

local function held(m)
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

local f = redis.call('HMGET', s, 'w', 't', 'pt')
local w, t, pt = tonumber(f[1]), num(f[2]), num(f[3])
local tChanged, ptChanged = false, false
local deltas, fields = {}, {}
local function add(field, v)
  if v == 0 then return end
  if not deltas[field] then deltas[field] = 0; fields[#fields + 1] = field end
  deltas[field] = deltas[field] + v
end
local done, removed, result = {}, {}, {}
for i = 1, n do
  local m = members[i]
  if scores[i] and not done[m] then
    done[m] = true
    removed[#removed + 1] = m
    local _, cost, tokens, ws, day, month = parse(m)
    -- only while the window is still held: a late settle must not rewrite a newer one
    local delta = tonumber(ARGV[3 * i - 1]) - tokens
    if delta ~= 0 and w == ws then t = t + delta; tChanged = true end
    if delta ~= 0 and w == ws + WINDOW then pt = pt + delta; ptChanged = true end
    add('rd:' .. day, -cost)
    add('rm:' .. month, -cost)
    local actual = tonumber(ARGV[3 * i])
    add('sd:' .. day, actual)
    add('sm:' .. month, actual)
    result[i] = 1
  elseif done[m] or not held(m) then
    result[i] = 0
  else
    result[i] = -1
  end
end
if #removed > 0 then
  redis.call('ZREM', x, unpack(removed))
  if tChanged then redis.call('HSET', s, 't', int(t)) end
  if ptChanged then redis.call('HSET', s, 'pt', int(pt)) end
  for _, field in ipairs(fields) do
    if deltas[field] ~= 0 then redis.call('HINCRBY', s, field, int(deltas[field])) end
  end
  -- the zset is gone once empty: the next admit sets its TTL and e again
  if redis.call('EXISTS', x) == 0 then redis.call('HDEL', s, 'e') end
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

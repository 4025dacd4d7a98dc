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
import { DAY_KEY_TTL_MS, TTL_REFRESH_MS } from "./keys.ts";
import { CIVIL, HELPERS, MEMO } from "./lua-helpers.ts";

/**
 * One key's batch: its queued settlements / releases first, then its admits, one after the
 * other, as if each were its own script. Settlements ride with the next admit of their key (one
 * script call per request in steady state instead of an admit and a settle), and go out alone
 * (no admits) when none comes within the settle delay. The key's state is read once (one HMGET),
 * decided on in Lua, and written back once (one HSET, one ZADD for the new reservations, one
 * ZREM for the settled ones, after the ZADD so that the zset never empties mid-call).
 * The state the requests share lives in Lua locals for the whole batch (the rate window, the
 * seed, the expiry and the day / month of the first request); other days and months (a batch
 * across midnight, old reservations) go through a table read on demand: every function call
 * and table access per request costs Redis CPU on the admit's critical path.
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
export const BATCH_LUA = `${HELPERS}${CIVIL}${MEMO}
local s, x = KEYS[1], KEYS[2]
local S = tonumber(ARGV[1])
local A = 1 + 3 * S -- admit i's values are ARGV[A + 3i - 2 .. A + 3i]
local n = (#ARGV - A) / 3
local _, _, _, day1, month1 = estimates(n > 0 and ARGV[A + 3] or ARGV[2])
local HOT = {'w', 'n', 't', 'pn', 'pt', 'seeded', 'e', 'd', 'xr', 'sd:' .. day1, 'rd:' .. day1, 'sm:' .. month1, 'rm:' .. month1}
-- numbers (d: a string), or false when absent (written back as HDEL)
local was = redis.call('HMGET', s, unpack(HOT))
for i = 1, 13 do local v = was[i]; was[i] = v and tonumber(v) or v end
local w, cn, ct, pn, pt, seeded, e, d, xr, sd, rd, sm, rm = unpack(was)

-- fields of other days and months, read on demand
local G, gDirty = {}, {}
local function gget(k)
  local v = G[k]
  if v == nil then v = redis.call('HGET', s, k); v = v and tonumber(v) or v; G[k] = v end
  return v
end
local function gset(k, v)
  G[k] = v
  gDirty[#gDirty + 1] = k
end
local function gadd(k, delta) gset(k, (gget(k) or 0) + delta) end
-- takes cost off a period's reserved amount (r) and adds actual to its spent one (s): the current
-- day or month is in locals, returned updated; another period's fields go through G
local function settlePeriod(current, period, r, s, rField, sField, cost, actual)
  if current then
    if cost > 0 then r = (r or 0) - cost end
    if actual > 0 then s = (s or 0) + actual end
  else
    if cost > 0 then gadd(rField .. period, -cost) end
    if actual > 0 then gadd(sField .. period, actual) end
  end
  return r, s
end

-- settlements' members, then admits': whether each is held
local members = {}
for j = 1, S do members[j] = ARGV[3 * j - 1] end
for i = 1, n do members[S + i] = ARGV[A + 3 * i] end
local held = redis.call('ZMSCORE', x, unpack(members))
local result = {}

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
    local cost, tokens, ws, day, month = estimates(m)
    -- only while the window is still held: a late settle must not rewrite a newer one
    local delta = cnum(ARGV[3 * j]) - tokens
    if delta ~= 0 then
      if w == ws then ct = (ct or 0) + delta
      elseif w == ws + WINDOW then pt = (pt or 0) + delta end
    end
    local actual = cnum(ARGV[3 * j + 1])
    rd, sd = settlePeriod(day == day1, day, rd, sd, 'rd:', 'sd:', cost, actual)
    rm, sm = settlePeriod(month == month1, month, rm, sm, 'rm:', 'sm:', cost, actual)
    result[n + j] = 1
  elseif settled[m] or not heldAsOther(m) then
    result[n + j] = 0
  else
    result[n + j] = -1
  end
end

local added, zargs, expiries = {}, {}, {}
local lastNow
local floor = math.floor
-- the previous request's limits, reused while they repeat
local lim, rpm, tpm, daily, monthly, seed

for i = 1, n do
  local o = A + 3 * (i - 1)
  local nowS, member = ARGV[o + 1], ARGV[o + 3]
  local now = cnum(nowS)
  lastNow = now
  if ARGV[o + 2] ~= lim then
    lim = ARGV[o + 2]
    local a, b, c, f, g = string.match(lim, '^(%-?%d+)|(%-?%d+)|(%-?%d+)|(%-?%d+)|([01])$')
    rpm, tpm, daily, monthly, seed = tonumber(a), tonumber(b), tonumber(c), tonumber(f), g == '1'
  end
  local cost, est, ws, day, month = estimates(member)
  -- the seed flag holds the ms until which it stands (compared with the caller's clock)
  if seed and (seeded or 0) <= now then
    result[i] = -1
  else
    -- reservations whose process died: stop counting them (e: the earliest live expiry)
    if e and e <= now then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', x, '-inf', nowS)) do
        -- settled ones in this call are accounted already (their ZREM comes last)
        if not settled[m] then
          local c, _, _, rday, rmonth = estimates(m)
          -- a dead reservation is released: nothing was spent
          rd, sd = settlePeriod(rday == day1, rday, rd, sd, 'rd:', 'sd:', c, 0)
          rm, sm = settlePeriod(rmonth == month1, rmonth, rm, sm, 'rm:', 'sm:', c, 0)
        end
      end
      redis.call('ZREMRANGEBYSCORE', x, '-inf', nowS)
      e = tonumber(redis.call('ZRANGE', x, 0, 0, 'WITHSCORES')[2]) or false
    end
    -- a new day: drop day fields older than ${DAY_KEY_TTL_MS} ms and month fields older than
    -- KEY_TTL, as the memory twin prunes
    if not d or day > d then
      d = day
      local cutDay = civil(floor((now - ${DAY_KEY_TTL_MS}) / 86400000))
      local cutMonth = string.sub(civil(floor((now - KEY_TTL) / 86400000)), 1, 7)
      for _, k in ipairs(redis.call('HKEYS', s)) do
        local unit, when = string.match(k, '^[sr]([dm]):(.+)$')
        if (unit == 'd' and when < cutDay) or (unit == 'm' and when < cutMonth) then
          if k == HOT[10] then sd = false elseif k == HOT[11] then rd = false
          elseif k == HOT[12] then sm = false elseif k == HOT[13] then rm = false
          else gset(k, false) end
        end
      end
    end

    -- the rate window: w is the newest window written, pn/pt the one before it
    local prevN, prevT, currN, currT, slot = 0, 0, 0, 0, 'new'
    if w == ws then
      currN, currT, prevN, prevT, slot = cn or 0, ct or 0, pn or 0, pt or 0, 'curr'
    elseif w == ws - WINDOW then
      prevN, prevT, slot = cn or 0, ct or 0, 'roll'
    elseif w == ws + WINDOW then
      currN, currT, slot = pn or 0, pt or 0, 'prev' -- a caller whose clock is a window behind
    elseif w and w > ws then
      slot = 'none'
    end
    local dayR, dayUsed, monthR, monthUsed
    if day == day1 then dayR = rd or 0; dayUsed = (sd or 0) + dayR
    else dayR = gget('rd:' .. day) or 0; dayUsed = (gget('sd:' .. day) or 0) + dayR end
    if month == month1 then monthR = rm or 0; monthUsed = (sm or 0) + monthR
    else monthR = gget('rm:' .. month) or 0; monthUsed = (gget('sm:' .. month) or 0) + monthR end

    local elapsed = now - ws
    local failed = 0
    if rpm >= 0 and floor(prevN * (WINDOW - elapsed) / WINDOW) + currN + 1 > rpm then failed = 1 end
    if tpm >= 0 and floor(prevT * (WINDOW - elapsed) / WINDOW) + currT + est > tpm then failed = failed + 2 end
    if daily >= 0 and dayUsed >= daily then failed = failed + 4 end
    if monthly >= 0 and monthUsed >= monthly then failed = failed + 8 end

    if failed > 0 then
      result[i] = {failed, prevN, currN, prevT, currT, dayUsed, monthUsed}
    elseif (held[S + i] and not settled[member]) or added[member] then
      result[i] = 'dup'
    else
      added[member] = true
      local expiry = expiries[nowS]
      if not expiry then expiry = int(now + RES_TTL); expiries[nowS] = expiry end
      zargs[#zargs + 1] = expiry
      zargs[#zargs + 1] = member
      if slot == 'curr' then
        cn = currN + 1; ct = currT + est
      elseif slot == 'roll' or slot == 'new' then
        w = ws; cn = 1; ct = est; pn = prevN; pt = prevT
      elseif slot == 'prev' then
        pn = currN + 1; pt = currT + est
      end
      if cost > 0 then
        if day == day1 then rd = dayR + cost else gset('rd:' .. day, dayR + cost) end
        if month == month1 then rm = monthR + cost else gset('rm:' .. month, monthR + cost) end
      end
      result[i] = 0
    end
  end
end

if #zargs > 0 then
  redis.call('ZADD', x, unpack(zargs))
  local refresh = not e or not xr or lastNow >= xr + ${TTL_REFRESH_MS} or lastNow < xr
  -- the set was empty (or state was lost): its earliest member is the new e
  if not e then e = tonumber(redis.call('ZRANGE', x, 0, 0, 'WITHSCORES')[2]) end
  if refresh then
    xr = lastNow
    redis.call('PEXPIRE', x, KEY_TTL)
  end
end
-- It only empties (and loses its TTL) when no admit came: the next admit sets both again.
if #removed > 0 then
  local gone = {}
  for _, m in ipairs(removed) do if not added[m] then gone[#gone + 1] = m end end
  if #gone > 0 then redis.call('ZREM', x, unpack(gone)) end
  if #zargs == 0 and redis.call('EXISTS', x) == 0 then e = false end
end

local h, hdel = {}, {}
local function put(k, v)
  if v == false then hdel[#hdel + 1] = k
  else h[#h + 1] = k; h[#h + 1] = type(v) == 'number' and int(v) or v end
end
local final = {w, cn, ct, pn, pt, seeded, e, d, xr, sd, rd, sm, rm}
for i = 1, 13 do if final[i] ~= was[i] then put(HOT[i], final[i]) end end
local seen = {}
for _, k in ipairs(gDirty) do if not seen[k] then seen[k] = true; put(k, G[k]) end end
if #hdel > 0 then redis.call('HDEL', s, unpack(hdel)) end
if #h > 0 then
  redis.call('HSET', s, unpack(h))
  -- TTL with the first write of a day and with each refresh of the reservations' TTL
  if d ~= was[8] or xr ~= was[9] then redis.call('PEXPIRE', s, KEY_TTL) end
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

/**
 * Lua shared by the counters scripts (lua.ts): member parsing, number formatting, the UTC
 * calendar, and the per-call caches of the hot loops.
 */
import { MONTH_KEY_TTL_MS, RESERVATION_TTL_MS, WINDOW_MS } from "./keys.ts";

/** Shared helpers. Reservation members are "id|cost|tokens|windowStartMs|day|month". */
export const HELPERS = `
local WINDOW, RES_TTL, KEY_TTL = ${WINDOW_MS}, ${RESERVATION_TTL_MS}, ${MONTH_KEY_TTL_MS}
local function num(v) return tonumber(v) or 0 end
local function int(x) return string.format('%d', x) end
local function parse(m)
  local id, cost, tokens, ws, day, month = string.match(m, '^([^|]+)|(%d+)|(%d+)|(%-?%d+)|([^|]+)|([^|]+)$')
  return id, tonumber(cost), tonumber(tokens), tonumber(ws), day, month
end
`;

/** UTC "YYYY-MM-DD" of a day number since the epoch (H. Hinnant's civil_from_days). */
export const CIVIL = `
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
 * The hot loops convert each distinct string once: tonumber costs Redis about half a
 * microsecond, and a batch's requests mostly share their numbers (the same ms, the same
 * estimates) and always their window, day and month. Lua interns strings, so a lookup costs a
 * hash of a pointer.
 */
export const MEMO = `
local numbers = {}
local function cnum(v)
  local x = numbers[v]
  if not x then x = tonumber(v); numbers[v] = x end
  return x
end
local periods = {}
-- cost, tokens, windowStartMs, day, month of a reservation member
local function estimates(m)
  local cost, tokens, rest = string.match(m, '^[^|]+|(%d+)|(%d+)|(.+)$')
  local p = periods[rest]
  if not p then
    local ws, day, month = string.match(rest, '^(%-?%d+)|([^|]+)|([^|]+)$')
    p = {tonumber(ws), day, month}
    periods[rest] = p
  end
  return cnum(cost), cnum(tokens), p[1], p[2], p[3]
end
`;

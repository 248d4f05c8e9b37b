/**
 * The Lua scripts of the shared rate limiter, run by Redis atomically: one
 * call checks every limit of a request and records it in all of them, so
 * two replicas can never both admit the last request a window allows (there
 * is no check-then-set across round trips).
 *
 * A window is one hash per limit, one field per 5-second bucket and counter:
 * `r<period>` requests and `t<period>` tokens, `period` being
 * floor(now / 5000). Buckets rather than one sorted-set member per request:
 * memory and work stay at 24 fields per limit whatever the traffic (a limit
 * of 100,000 rpm would be 100,000 members), and the window slides exactly as
 * the in-process one does (util/rolling-counts.ts: a bucket leaves the window
 * 60 s after it began), so a fleet answers as one gateway would. Fields of
 * buckets that left the window are deleted when the hash is next read; the
 * whole hash expires (PEXPIRE) a window after its last write.
 *
 * `now` is an argument, not Redis TIME: every replica already agrees on the
 * time closely enough (NTP), and tests can drive the clock.
 */

/**
 * KEYS: the window of each limit. ARGV: now, estimate, bucketMs, buckets,
 * ttlMs, then rpm and tpm of each limit in KEYS order (-1: none).
 * Returns {0, 0, then requests, tokens, resetMs of each limit, this call
 * included} when admitted, or {index (1-based), reason, requests, tokens,
 * resetMs} of the first limit that refuses, counted before the call.
 * Reasons as in tenancy/rate-limit-decision.ts: 1 requests, 2 larger than
 * the tpm, 3 tokens.
 */
export const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local estimate = tonumber(ARGV[2])
local bucketMs = tonumber(ARGV[3])
local buckets = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local current = math.floor(now / bucketMs)
local n = #KEYS
local requests, tokens, oldest = {}, {}, {}
for i = 1, n do
  local fields = redis.call('HGETALL', KEYS[i])
  local r, t, old = 0, 0, nil
  local stale = {}
  for j = 1, #fields, 2 do
    local name = fields[j]
    local period = tonumber(string.sub(name, 2))
    local value = tonumber(fields[j + 1])
    -- A bucket from the future (a replica's clock ahead) counts, as in-process.
    if period == nil or current - period >= buckets then
      stale[#stale + 1] = name
    else
      if string.byte(name, 1) == 114 then r = r + value else t = t + value end
      if value ~= 0 and (old == nil or period < old) then old = period end
    end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[i], unpack(stale)) end
  local reset = 0
  if old ~= nil then reset = (old + buckets) * bucketMs - now end
  local rpm = tonumber(ARGV[4 + 2 * i])
  local tpm = tonumber(ARGV[5 + 2 * i])
  if rpm >= 0 and r + 1 > rpm then return {i, 1, r, t, reset} end
  if tpm >= 0 then
    if estimate > tpm then return {i, 2, r, t, reset} end
    if t + estimate > tpm then return {i, 3, r, t, reset} end
  end
  requests[i], tokens[i], oldest[i] = r, t, old
end
local reply = {0, 0}
local rfield = 'r' .. current
local tfield = 't' .. current
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], rfield, 1)
  if estimate ~= 0 then redis.call('HINCRBY', KEYS[i], tfield, estimate) end
  redis.call('PEXPIRE', KEYS[i], ttl)
  local old = oldest[i]
  if old == nil or current < old then old = current end
  reply[#reply + 1] = requests[i] + 1
  reply[#reply + 1] = tokens[i] + estimate
  reply[#reply + 1] = (old + buckets) * bucketMs - now
end
return reply
`;

/**
 * Token corrections of settled calls, several at once (they are batched: see
 * rate-limiter.ts). KEYS: the windows of every call, one call's after
 * another. ARGV: bucketMs, ttlMs, then per call: how many of KEYS are its
 * windows, the time it settled (its correction goes into that bucket, as
 * in-process) and its correction (the tokens it used beyond its estimate;
 * negative when fewer). Replies with the number of windows corrected.
 */
export const SETTLE_LUA = `
local bucketMs = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local k = 0
local a = 3
while a <= #ARGV do
  local count = tonumber(ARGV[a])
  local field = 't' .. math.floor(tonumber(ARGV[a + 1]) / bucketMs)
  local correction = tonumber(ARGV[a + 2])
  for i = k + 1, k + count do
    redis.call('HINCRBY', KEYS[i], field, correction)
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
  k = k + count
  a = a + 3
end
return k
`;

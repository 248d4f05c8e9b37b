/**
 * The Lua scripts of the budgets shared through Redis. Each runs atomically:
 * the check of every budget and the record of the hold happen with no other
 * replica's step between them, as the in-process book does with no await.
 *
 * Per budget and period, two keys (KEYS come in pairs, budget then holds):
 * - `<prefix>budget:{<tenant>}:<budget id>:<period start ms>`, a hash:
 *   `settled` (USD booked in the period), `reserved` (USD of the live holds),
 *   `seeded` (set once the period's spend was read from the ledger) and one
 *   field `h:<hold id>` per live hold (its USD);
 * - the same name with `:holds`, a sorted set: hold id → expiry (epoch ms).
 *
 * Every script first drops the holds whose expiry has passed, so the holds
 * of a replica that died vanish after their TTL. The limit is an argument
 * (it comes from the configuration and may change); so is `now`, so that a
 * test can move the clock. Amounts are floats in USD, as in the in-process
 * book; a float returned to the caller is formatted with 17 digits (a Lua
 * number in a reply would be cut to an integer).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const PRELUDE = `
local function fmt(x) return string.format('%.17g', x) end

-- Frees amount from the budget's reserved total; exact 0 once no hold is left (no float dust).
local function release(b, h, amount)
  if redis.call('ZCARD', h) == 0 then
    redis.call('HSET', b, 'reserved', 0)
  else
    redis.call('HINCRBYFLOAT', b, 'reserved', -amount)
  end
end

-- Drops the holds whose expiry is at or before now.
local function purge(b, h, now)
  local expired = redis.call('ZRANGEBYSCORE', h, '-inf', now)
  if #expired == 0 then return end
  local freed = 0
  for _, id in ipairs(expired) do
    freed = freed + (tonumber(redis.call('HGET', b, 'h:' .. id)) or 0)
    redis.call('HDEL', b, 'h:' .. id)
  end
  redis.call('ZREMRANGEBYSCORE', h, '-inf', now)
  release(b, h, freed)
end

local function numbers(b)
  local v = redis.call('HMGET', b, 'settled', 'reserved', 'seeded')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0, v[3]
end

-- Records (or re-records, after it expired) a hold of amount with its expiry.
local function hold(b, h, id, amount, expiry, expire_at)
  redis.call('HSET', b, 'h:' .. id, amount)
  redis.call('HINCRBYFLOAT', b, 'reserved', amount)
  redis.call('ZADD', h, expiry, id)
  redis.call('PEXPIREAT', b, expire_at)
  redis.call('PEXPIREAT', h, expire_at)
end
`;

/**
 * Reads the budgets (after dropping expired holds).
 * ARGV: now. Reply: {'seed', i…} when budget i was never seeded this period; else {'ok', 0, settled₁, reserved₁, …}.
 */
export const READ = `${PRELUDE}
local now = tonumber(ARGV[1])
local out, unseeded = {'ok', 0}, {'seed'}
for i = 1, #KEYS / 2 do
  local b, h = KEYS[2 * i - 1], KEYS[2 * i]
  purge(b, h, now)
  local settled, reserved, seeded = numbers(b)
  if not seeded then unseeded[#unseeded + 1] = i end
  out[#out + 1] = fmt(settled)
  out[#out + 1] = fmt(reserved)
end
if #unseeded > 1 then return unseeded end
return out
`;

/**
 * Holds amount on every budget, or on none when one cannot hold it.
 * ARGV: now, hold id, amount, hold expiry, then per budget its limit and the key's expiry (epoch ms).
 * Reply: {'seed', i…}; {'refused', i, numbers…} (i: the first budget that cannot hold it); {'held', 0, numbers…} (after the hold).
 */
export const RESERVE = `${PRELUDE}
local now, id, amount, expiry = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 2
local unseeded, refused = {'seed'}, 0
local settled, reserved = {}, {}
for i = 1, n do
  local b, h = KEYS[2 * i - 1], KEYS[2 * i]
  purge(b, h, now)
  local s, r, seeded = numbers(b)
  if not seeded then unseeded[#unseeded + 1] = i end
  settled[i], reserved[i] = s, r
  if refused == 0 and s + r + amount > tonumber(ARGV[3 + 2 * i]) then refused = i end
end
if #unseeded > 1 then return unseeded end
local out = {'refused', refused}
if refused == 0 then
  out[1] = 'held'
  for i = 1, n do
    hold(KEYS[2 * i - 1], KEYS[2 * i], id, amount, expiry, tonumber(ARGV[4 + 2 * i]))
    reserved[i] = reserved[i] + amount
  end
end
for i = 1, n do
  out[#out + 1] = fmt(settled[i])
  out[#out + 1] = fmt(reserved[i])
end
return out
`;

/**
 * Grows a hold on every budget or none: by wanted tokens when they fit; else by the whole tokens the tightest
 * budget has room for, when at least least (and more than 0). Renews the hold's expiry either way; a hold that
 * expired (the store was unreachable for longer than the TTL) is first recorded again at held.
 * ARGV: now, hold id, wanted, least, USD per token, hold expiry, held USD, then per budget its limit and the key's expiry.
 * Reply: {granted tokens, the tightest budget's index, numbers…}.
 */
export const GROW = `${PRELUDE}
local now, id = tonumber(ARGV[1]), ARGV[2]
local wanted, least, unit = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local expiry, held = tonumber(ARGV[6]), tonumber(ARGV[7])
local n = #KEYS / 2
local room, tightest = math.huge, 1
local settled, reserved = {}, {}
for i = 1, n do
  local b, h = KEYS[2 * i - 1], KEYS[2 * i]
  purge(b, h, now)
  if not redis.call('HGET', b, 'h:' .. id) then hold(b, h, id, held, expiry, tonumber(ARGV[7 + 2 * i])) end
  local s, r = numbers(b)
  settled[i], reserved[i] = s, r
  local left = tonumber(ARGV[6 + 2 * i]) - s - r
  if left < room then room, tightest = left, i end
end
local granted = 0
if room >= wanted * unit then
  granted = wanted
else
  local affordable = math.floor(room / unit)
  if affordable >= least and affordable > 0 then granted = affordable end
end
for i = 1, n do
  local b, h = KEYS[2 * i - 1], KEYS[2 * i]
  if granted > 0 then
    redis.call('HINCRBYFLOAT', b, 'h:' .. id, granted * unit)
    redis.call('HINCRBYFLOAT', b, 'reserved', granted * unit)
    reserved[i] = reserved[i] + granted * unit
  end
  redis.call('ZADD', h, expiry, id)
end
local out = {granted, tightest}
for i = 1, n do
  out[#out + 1] = fmt(settled[i])
  out[#out + 1] = fmt(reserved[i])
end
return out
`;

/**
 * Renews a live hold's expiry (the heartbeat of a call that outlives the TTL); a hold that expired meanwhile is
 * recorded again at held (the call is still running: what it spends will be booked).
 * ARGV: now, hold id, hold expiry, held USD, then per budget the key's expiry. Reply: 1.
 */
export const RENEW = `${PRELUDE}
local now, id, expiry, held = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, #KEYS / 2 do
  local b, h = KEYS[2 * i - 1], KEYS[2 * i]
  purge(b, h, now)
  if redis.call('HGET', b, 'h:' .. id) then
    redis.call('ZADD', h, expiry, id)
  else
    hold(b, h, id, held, expiry, tonumber(ARGV[4 + i]))
  end
end
return 1
`;

/**
 * Applies n settles in their order, each as one alone would: it releases a hold (its first hold pairs of KEYS: the
 * budgets of the period it was reserved in; none for a call held elsewhere) and books actual USD in its booking
 * pairs (the budgets' periods at its own now). KEYS: each settle's hold pairs then booking pairs, settle after
 * settle (the budgets of several tenants: one Redis, not a cluster).
 * ARGV: n, then per settle: now, hold id, actual, number of hold pairs, number of booking pairs, per booking pair
 * the key's expiry.
 * Reply: {numbers…} of every settle's booking pairs just after its booking, settle after settle.
 */
export const SETTLE = `${PRELUDE}
local out, k, a = {}, 0, 2
for _ = 1, tonumber(ARGV[1]) do
  local now, id, actual = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  local m, p = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  for i = 1, m do
    local b, h = KEYS[k + 2 * i - 1], KEYS[k + 2 * i]
    local amount = redis.call('HGET', b, 'h:' .. id)
    if amount then
      redis.call('HDEL', b, 'h:' .. id)
      redis.call('ZREM', h, id)
      release(b, h, tonumber(amount))
    end
  end
  k = k + 2 * m
  for j = 1, p do
    local b, h = KEYS[k + 2 * j - 1], KEYS[k + 2 * j]
    purge(b, h, now)
    if actual > 0 then redis.call('HINCRBYFLOAT', b, 'settled', actual) end
    redis.call('PEXPIREAT', b, tonumber(ARGV[a + 4 + j]))
    local s, r = numbers(b)
    out[#out + 1] = fmt(s)
    out[#out + 1] = fmt(r)
  end
  k = k + 2 * p
  a = a + 5 + p
end
return out
`;

/**
 * Seeds budgets with the spend the ledger recorded this period, once per budget and period across all replicas
 * (HSETNX on 'seeded'). The larger of the ledger's sum and what was booked already is kept: a call that settled
 * into the period before anyone seeded it is booked in both, or (its ledger row still buffered) only here.
 * KEYS: one budget key each (no holds). ARGV: per budget the ledger's USD and the key's expiry. Reply: 1.
 */
export const SEED = `
for i = 1, #KEYS do
  local b = KEYS[i]
  if redis.call('HSETNX', b, 'seeded', 1) == 1 then
    local spent = tonumber(ARGV[2 * i - 1])
    if spent > (tonumber(redis.call('HGET', b, 'settled')) or 0) then redis.call('HSET', b, 'settled', ARGV[2 * i - 1]) end
    redis.call('PEXPIREAT', b, tonumber(ARGV[2 * i]))
  end
end
return 1
`;

/** A script run by its SHA1 (EVALSHA), loaded by EVAL the first time a server does not know it. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const BUDGET_SCRIPTS = {
  read: new LuaScript(READ),
  reserve: new LuaScript(RESERVE),
  grow: new LuaScript(GROW),
  renew: new LuaScript(RENEW),
  settle: new LuaScript(SETTLE),
  seed: new LuaScript(SEED),
} as const;

// The cost of one admission by the shared rate limiter: sequential admits (one round trip each) and concurrent ones
// (the pipelined throughput of one connection), against the Redis at TOLLGATE_BENCH_REDIS_URL (default 127.0.0.1:6379),
// under a key prefix of its own that is removed afterwards.
// Usage: node scripts/build-if-needed.mjs && node bench/redis-admit.mjs [admits]
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { openSharedState } from '../dist/store/redis/connection.js';
import { RedisRateLimiter } from '../dist/store/redis/rate-limiter.js';
import { RateLimiter } from '../dist/tenancy/rate-limits.js';

const admits = Number(process.argv[2] ?? 20_000);
const prefix = `tgbench:${randomUUID().slice(0, 8)}:`;
const log = pino({ level: 'silent' });
const shared = await openSharedState(
  { url: process.env.TOLLGATE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: prefix, whenUnavailable: 'fail_closed', connectTimeoutMs: 2_000, commandTimeoutMs: 500 },
  log,
);
const limiter = new RedisRateLimiter({ shared, log });
// A key's limit and its tenant's: the common case of a keyed caller, both high enough never to refuse.
const limits = [
  { scope: 'key', id: 'bench-key', rpm: 1e9, tpm: 1e12 },
  { scope: 'tenant', id: 'bench-tenant', rpm: 1e9, tpm: 1e12 },
];

async function sequential(run, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

async function concurrent(run, n, width) {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next++ < n) await run();
  }));
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

const admit = () => limiter.admitLimits(limits, 2_000);
const local = new RateLimiter();
await sequential(admit, 2_000); // warm-up: script loaded, JIT
const perAdmit = await sequential(admit, admits);
const perAdmitConcurrent = await concurrent(admit, admits, 64);
const perPing = await sequential(() => shared.client.ping(), admits);
const perLocal = await sequential(() => local.admitLimits(limits, 2_000), admits);
console.log(`admits: ${admits}, two limits each (key and tenant)`);
console.log(`redis, one at a time:   ${perAdmit.toFixed(1)} µs per admit (PING alone: ${perPing.toFixed(1)} µs)`);
console.log(`redis, 64 concurrent:   ${perAdmitConcurrent.toFixed(1)} µs per admit (${Math.round(1e6 / perAdmitConcurrent)} admits/s on one connection)`);
console.log(`in-process:             ${perLocal.toFixed(2)} µs per admit`);
let cursor = '0';
do {
  const [next, keys] = await shared.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length > 0) await shared.client.del(...keys);
} while (cursor !== '0');
await shared.close();

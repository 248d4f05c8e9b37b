// Microseconds per reserve + settle on the shared budget book (Redis at 127.0.0.1:6379) and on the in-process
// book, one call after another and 64 at a time: wall time, this process's CPU (what a replica pays; Redis's own
// time is not in it) and, for the shared book, how many settles one script call carried.
// Run after `npm run build`: node bench/budget-store.mjs
// Its keys have a prefix of their own and are deleted afterwards.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pino from 'pino';
import { BudgetBook } from '../dist/budgets/budget-book.js';
import { RedisBudgetBook } from '../dist/store/redis/budget-book.js';

const N = Number(process.env.N ?? 20_000);
const CONCURRENCY = 64;
const prefix = `bench:budgets:${randomUUID()}:`;
const tenant = { id: 'tenant:bench:month', scope: 'tenant', owner: 'bench', tenant: 'bench', config: { period: 'month', limitUsd: 1e9, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } } };
const key = { ...tenant, id: 'key:k:day', scope: 'key', owner: 'k', config: { ...tenant.config, period: 'day' } };
const refs = [key, tenant];

async function cycle(book) {
  const result = await book.reserve(refs, 0.01);
  if (!result.ok) throw new Error('refused');
  await result.reservation.settle(0.005);
}

async function measure(name, book, concurrency) {
  for (let i = 0; i < 1_000; i++) await cycle(book);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const callsStart = book.settleScriptCalls;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < N) await cycle(book);
  }));
  const us = ((performance.now() - start) * 1000) / N;
  const cpu = process.cpuUsage(cpuStart);
  const cpuUs = (cpu.user + cpu.system) / N;
  const batches = book.settleScriptCalls === undefined ? '' : `, ${(N / (book.settleScriptCalls - callsStart)).toFixed(1)} settles per script call`;
  console.log(`${name.padEnd(32)} ${us.toFixed(2).padStart(8)} µs per reserve+settle (${Math.round(1e6 / us)}/s), ${cpuUs.toFixed(1).padStart(6)} µs CPU${batches}`);
}

const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const shared = new RedisBudgetBook({ redis, keyPrefix: prefix, whenUnavailable: 'fail_closed', spentSince: async () => 0, log: pino({ level: 'silent' }) });
const local = new BudgetBook();
for (const ref of refs) local.seed(ref, 0);
try {
  await measure('in-process, sequential', local, 1);
  await measure('redis, sequential', shared, 1);
  await measure(`redis, ${CONCURRENCY} at a time`, shared, CONCURRENCY);
} finally {
  await shared.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

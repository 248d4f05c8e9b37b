// What the hourly rollup costs the SQLite ledger's writes, and what it buys the time series.
// Two loads, each written in transactions of 500 rows (the ledger's batch) and of 5000 (its largest), once with
// the rollup kept (the ledger's insert) and once without (the same insert statement alone, as before the rollup),
// alternated three times to fresh files (median rows per CPU second reported):
//   spread: ROWS rows (default 1.5 M: 50 tenants × 3 keys × 4 models over 30 days) in time order, as a backfill or
//           a light load writes them: a batch spans minutes, so nearly every row has a rollup key of its own;
//   busy:   BUSY rows (default 300 000) within one hour, as under heavy load: a batch's rows share their keys.
// Then times `timeseries` over the spread rows: 24 h by hour, 30 days by day, and the raw-table scan it replaces.
// Run after `npm run build`: node bench/ledger-rollup.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqlite } from '../dist/store/sqlite/database.js';
import { prepareStatements } from '../dist/store/sqlite/ledger-statements.js';
import { COLUMNS, toParams } from '../dist/store/sqlite/usage-rows.js';
import { SqliteUsageLedger } from '../dist/store/sqlite/usage-ledger.js';
import { utcDay } from '../dist/store/usage-ledger.js';
import { mulberry32 } from '../dist/util/random.js';

const ROWS = Number(process.env.ROWS ?? 1_500_000);
const BUSY = Number(process.env.BUSY ?? 300_000);
const DAY = 86_400_000;
const END = Math.floor(Date.now() / DAY) * DAY + DAY;
const START = END - 30 * DAY;
const TENANTS = Array.from({ length: 50 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
const MODELS = ['gpt-oss:20b', 'gpt-5-mini', 'gpt-4.1-mini', 'llama3.1:8b'];
const STATUSES = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error', 'cancelled'];

/** `count` rows evenly over [from, to). */
function rows(count, from, to) {
  const random = mulberry32(42);
  const step = (to - from) / count;
  return Array.from({ length: count }, (_, i) => {
    const tenant = TENANTS[Math.floor(random() * TENANTS.length)];
    const model = MODELS[Math.floor(random() * MODELS.length)];
    return {
      time: Math.floor(from + i * step),
      requestId: `req-${i}`,
      tenant,
      keyId: `${tenant}-key${Math.floor(random() * 3)}`,
      routeModel: model,
      requestedModel: model,
      provider: 'local',
      upstreamModel: model,
      promptTokens: Math.floor(random() * 4_000),
      completionTokens: Math.floor(random() * 800),
      cachedTokens: 0,
      reasoningTokens: 0,
      costUsd: random() / 100,
      estimated: false,
      status: STATUSES[Math.floor(random() * STATUSES.length)],
      httpStatus: 200,
      latencyMs: Math.floor(200 + random() * random() * 20_000),
      ttftMs: 80,
    };
  });
}

/**
 * Rows per second of this process's CPU (user and system: SQLite runs in it) writing `records` in `batch`-row
 * transactions with `write`. CPU time rather than wall time: on a shared machine the wall clock measures the
 * neighbours too, and a write's CPU is what the gateway's event loop pays.
 */
function throughput(records, batch, write) {
  const started = process.cpuUsage();
  for (let i = 0; i < records.length; i += batch) write(records.slice(i, i + batch));
  const used = process.cpuUsage(started);
  return records.length / ((used.user + used.system) / 1e6);
}

/** The UTC day of a time, remembered from the row before, as the ledger does. */
function dayCache() {
  let number = Number.NaN;
  let day = '';
  return (time) => {
    const n = Math.floor(time / DAY);
    if (n !== number) {
      number = n;
      day = utcDay(time);
    }
    return day;
  };
}

function withoutRollup(db) {
  const insert = db.prepare(`INSERT INTO usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  const dayOf = dayCache();
  return db.transaction((batch) => {
    for (const r of batch) insert.run(...toParams(r, dayOf(r.time)));
  });
}

function withRollup(db) {
  return prepareStatements(db, dayCache(), () => false).insertBatch;
}

async function time(label, read, repeat = 5) {
  await read();
  const started = performance.now();
  for (let i = 0; i < repeat; i++) await read();
  const ms = (performance.now() - started) / repeat;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms`);
}

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** Median rows/s with and without the rollup, alternated so neither always runs on a warmer machine. */
function compare(label, records, batch) {
  const rates = { without: [], with: [] };
  for (let round = 0; round < 3; round++) {
    for (const [name, make] of [
      ['without', withoutRollup],
      ['with', withRollup],
    ]) {
      const path = join(dir, `${name}-${round}-${batch}-${label}.sqlite`);
      const db = openSqlite(path);
      rates[name].push(throughput(records, batch, make(db)));
      db.close();
      rmSync(path, { force: true });
      rmSync(`${path}-wal`, { force: true });
      rmSync(`${path}-shm`, { force: true });
    }
  }
  const without = median(rates.without);
  const withIt = median(rates.with);
  console.log(
    `${label.padEnd(7)} batch ${String(batch).padStart(4)}: without ${Math.round(without).toLocaleString('en').padStart(8)} rows/s, with ${Math.round(withIt).toLocaleString('en').padStart(8)} rows/s: ` +
      `${((1 - withIt / without) * 100).toFixed(1)} % less, ${((1 / withIt - 1 / without) * 1e6).toFixed(2)} µs more per row`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'tollgate-rollup-bench-'));
try {
  const spread = rows(ROWS, START, END);
  const busy = rows(BUSY, END - 3_600_000, END);
  console.log(`spread: ${ROWS} rows over 30 days; busy: ${BUSY} rows in one hour; ${TENANTS.length} tenants × 3 keys × ${MODELS.length} models`);
  if (process.env.COMPARE !== '0') {
    for (const batch of [500, 5_000]) {
      compare('spread', spread, batch);
      compare('busy', busy, batch);
    }
  }

  const path = join(dir, 'read.sqlite');
  const db = openSqlite(path);
  throughput(spread, 5_000, withRollup(db));
  const counts = db.prepare('SELECT (SELECT COUNT(*) FROM usage) AS usage, (SELECT COUNT(*) FROM usage_hourly) AS hourly, (SELECT COUNT(*) FROM usage_latency_hourly) AS latency').get();
  console.log(`rows: usage ${counts.usage}, usage_hourly ${counts.hourly}, usage_latency_hourly ${counts.latency}`);
  db.close();
  const ledger = SqliteUsageLedger.open(path);
  await time('timeseries 24 h by hour', () => ledger.timeseries({ bucket: 'hour', start: END - DAY, end: END }));
  await time('timeseries 30 d by day', () => ledger.timeseries({ bucket: 'day', start: END - 30 * DAY, end: END }));
  await time('timeseries 30 d by day, one tenant', () => ledger.timeseries({ bucket: 'day', start: END - 30 * DAY, end: END, tenant: 'tenant-07' }));
  await time('timeseries 30 d by hour (720 buckets)', () => ledger.timeseries({ bucket: 'hour', start: END - 30 * DAY, end: END }));
  const raw = openSqlite(path);
  const scan = raw.prepare(`SELECT time - time % ${DAY} AS d, COUNT(*), SUM(prompt_tokens), SUM(cost_usd) FROM usage WHERE time >= ? AND time < ? GROUP BY 1`);
  await time('raw usage scan 30 d by day (no percentiles)', () => scan.all(END - 30 * DAY, END), 2);
  raw.close();
  await ledger.close();

} finally {
  rmSync(dir, { recursive: true, force: true });
}

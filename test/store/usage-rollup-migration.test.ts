/**
 * The migration that adds the hourly rollup (SQLite version 6, PostgreSQL
 * version 4) fills it from the rows written before it: a time series read
 * after the migration equals the one of a ledger that wrote the same rows
 * with the rollup kept on every write (the SQL bucketing of latencies agrees
 * with the JavaScript one), and later writes add to the backfilled hours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Timeseries, UsageLedger } from '../../src/metering/usage-ledger.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { migrate } from '../../src/store/postgres/database.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresUsageLedger } from '../../src/store/postgres/usage-ledger.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import { COLUMNS, toParams, type InsertParams } from '../../src/store/sqlite/usage-rows.js';
import { utcDay } from '../../src/store/usage-ledger.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';
import { randomRows, seeded, usageRow } from '../reports/support/ledger-rows.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 20);
const END = START + 48 * HOUR;

/** Rows with latencies from under a millisecond to minutes, so every kind of bucket is backfilled. */
function rowsBefore(): UsageRecord[] {
  const random = seeded(23);
  return [
    ...randomRows(2_000, START, END, random).map((r) => ({ ...r, latencyMs: Math.floor(random() * random() * 120_000) })),
    usageRow({ time: START, tenant: 'team-a', latencyMs: 0 }),
    usageRow({ time: START, tenant: 'team-a', latencyMs: 1 }),
  ];
}

const later = usageRow({ time: START + 30 * 60_000, tenant: 'team-a', latencyMs: 250, promptTokens: 7, completionTokens: 3 });

async function expectSameSeries(migrated: UsageLedger, reference: UsageLedger): Promise<void> {
  for (const query of [
    { bucket: 'hour' as const, start: START, end: END },
    { bucket: 'day' as const, start: START, end: END },
    { bucket: 'hour' as const, start: START, end: END, tenant: 'team-b', model: 'gpt-5-mini' },
  ]) {
    const expected = await reference.timeseries(query);
    const actual = await migrated.timeseries(query);
    expect(rounded(actual)).toEqual(rounded(expected));
    expect(expected.total.requests).toBeGreaterThan(0);
  }
}

/** Costs summed in another order differ in the last bits. */
function rounded(series: Timeseries): Timeseries {
  const round = <T extends { costUsd: number }>(s: T): T => ({ ...s, costUsd: Math.round(s.costUsd * 1e9) / 1e9 });
  return { points: series.points.map(round), total: round(series.total) };
}

describe('migration of the hourly rollup: SQLite (version 6)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-rollup-migration-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills the rollup from the rows of a version-5 file', async () => {
    const rows = rowsBefore();
    const path = join(dir, 'before.sqlite');
    const v5 = openSqlite(path, { migrations: MIGRATIONS.filter((m) => m.version <= 5) });
    const insert = v5.prepare<InsertParams>(`INSERT INTO usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    v5.transaction(() => {
      for (const r of rows) insert.run(...toParams(r, utcDay(r.time)));
    })();
    v5.close();

    const migrated = SqliteUsageLedger.open(path);
    const reference = SqliteUsageLedger.open(join(dir, 'reference.sqlite'));
    try {
      for (const r of rows) reference.append(r);
      await expectSameSeries(migrated, reference);
      migrated.append(later);
      reference.append(later);
      await expectSameSeries(migrated, reference);
    } finally {
      await migrated.close();
      await reference.close();
    }
  });
});

describe('migration of the hourly rollup: PostgreSQL (version 4)', () => {
  const schemas: TestSchema[] = [];
  const ledgers: UsageLedger[] = [];
  afterEach(async () => {
    for (const ledger of ledgers.splice(0)) await ledger.close();
    while (schemas.length > 0) await schemas.pop()!.drop();
  });

  async function schemaAt(version: number): Promise<TestSchema> {
    const schema = await createTestSchema();
    schemas.push(schema);
    await migrate(schema.pool(1), POSTGRES_MIGRATIONS.filter((m) => m.version <= version));
    return schema;
  }

  function ledgerOn(schema: TestSchema): UsageLedger {
    const ledger = PostgresUsageLedger.open(schema.pool(2), { location: schema.name, flushIntervalMs: 60_000 });
    ledgers.push(ledger);
    return ledger;
  }

  it('fills the rollup from the rows of a version-3 database', async () => {
    const rows = rowsBefore();
    const before = await schemaAt(3);
    const pool = before.pool(1);
    // The rows as a version-3 ledger wrote them (its insert knew no rollup).
    await pool.query(
      `INSERT INTO usage (row_id, time, day, request_id, tenant, key_id, requested_model, route_model, provider, upstream_model, prompt_tokens, completion_tokens,
                          cached_tokens, reasoning_tokens, cost_usd, estimated, status, http_status, latency_ms, ttft_ms)
       SELECT gen_random_uuid(), time, day, request_id, tenant, key_id, requested_model, route_model, provider, upstream_model, prompt_tokens, completion_tokens,
              cached_tokens, reasoning_tokens, cost_usd, estimated, status, http_status, latency_ms, ttft_ms
         FROM json_to_recordset($1::json) AS r(time bigint, day text, request_id text, tenant text, key_id text, requested_model text, route_model text, provider text,
              upstream_model text, prompt_tokens integer, completion_tokens integer, cached_tokens integer, reasoning_tokens integer, cost_usd double precision,
              estimated boolean, status text, http_status integer, latency_ms integer, ttft_ms integer)`,
      [
        JSON.stringify(
          rows.map((r) => ({
            time: r.time,
            day: utcDay(r.time),
            request_id: r.requestId,
            tenant: r.tenant,
            key_id: r.keyId,
            requested_model: r.requestedModel,
            route_model: r.routeModel,
            provider: r.provider,
            upstream_model: r.upstreamModel,
            prompt_tokens: r.promptTokens,
            completion_tokens: r.completionTokens,
            cached_tokens: r.cachedTokens,
            reasoning_tokens: r.reasoningTokens,
            cost_usd: r.costUsd,
            estimated: r.estimated,
            status: r.status,
            http_status: r.httpStatus,
            latency_ms: r.latencyMs,
            ttft_ms: r.ttftMs,
          })),
        ),
      ],
    );
    expect(await migrate(pool)).toEqual([4]);

    const reference = ledgerOn(await schemaAt(4));
    for (const r of rows) reference.append(r);
    const migrated = ledgerOn(before);
    await expectSameSeries(migrated, reference);
    migrated.append(later);
    reference.append(later);
    await expectSameSeries(migrated, reference);
  });
});

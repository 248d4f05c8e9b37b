/**
 * A PostgreSQL schema of its own for a test file: the tests share one server
 * and database with others running at the same time, so each file works in
 * `tg_<random>` (its URL sets the search_path) and drops it at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresStoreConfig } from '../../src/config/types.js';

export const TEST_PG_URL = process.env['TOLLGATE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  readonly name: string;
  /** The database URL with `options=-c search_path=<name>`. */
  readonly url: string;
  /** A store config on that URL. */
  store(overrides?: Partial<PostgresStoreConfig>): PostgresStoreConfig;
  /** A pool whose connections work in the schema (closed by `drop`). */
  pool(max?: number): pg.Pool;
  /** Ends the pools handed out and drops the schema with everything in it. */
  drop(): Promise<void>;
}

export function schemaUrl(name: string): string {
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.href;
}

export async function createTestSchema(): Promise<TestSchema> {
  const name = `tg_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = schemaUrl(name);
  const pools: pg.Pool[] = [];
  return {
    name,
    url,
    store: (overrides = {}) => ({ kind: 'postgres', url, poolSize: 5, statementTimeoutMs: 5_000, connectTimeoutMs: 5_000, ...overrides }),
    pool: (max = 5) => {
      const pool = new pg.Pool({ connectionString: url, max });
      pools.push(pool);
      return pool;
    },
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

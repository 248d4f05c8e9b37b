/**
 * The PostgreSQL schema steps: applied once each even when replicas start
 * at the same moment, all or nothing, and never on a database a newer
 * release has migrated. Also the store's readiness ping.
 */
import { createServer, type Socket } from 'node:net';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../../src/errors/index.js';
import { migrate, openPostgresPool, pingPostgres } from '../../src/store/postgres/database.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const schemas: TestSchema[] = [];

async function fresh(): Promise<TestSchema> {
  const schema = await createTestSchema();
  schemas.push(schema);
  return schema;
}

afterEach(async () => {
  while (schemas.length > 0) await schemas.pop()!.drop();
});

async function tables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`);
  return rows.map((r) => r.table_name);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PostgreSQL migrations', () => {
  it('lists steps 1 (tenancy), 2 (the usage ledger), 3 (the outbox) and 4 (the hourly rollup), in order', () => {
    expect(POSTGRES_MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4]);
    expect(POSTGRES_SCHEMA_VERSION).toBe(4);
  });

  it('five replicas migrating a new database at once apply each step exactly once, without an error', async () => {
    const schema = await fresh();
    // Each its own pool: as separate processes would.
    const pools = Array.from({ length: 5 }, () => schema.pool(2));
    const results = await Promise.all(pools.map((pool) => migrate(pool)));
    expect(results.flat().sort()).toEqual([1, 2, 3, 4]);
    expect(results.filter((applied) => applied.length > 0)).toEqual([[1, 2, 3, 4]]);
    const { rows } = await pools[0]!.query<{ version: number; n: string }>('SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
    expect(rows).toEqual([
      { version: 1, n: '1' },
      { version: 2, n: '1' },
      { version: 3, n: '1' },
      { version: 4, n: '1' },
    ]);
    expect(await tables(pools[0]!)).toEqual(['api_keys', 'notification_outbox', 'schema_migrations', 'tenants', 'usage', 'usage_hourly', 'usage_latency_hourly']);
    expect(await migrate(pools[1]!)).toEqual([]);
  });

  it('applies only the steps a database lacks, in version order', async () => {
    const schema = await fresh();
    const pool = schema.pool();
    const [first, ledger, outbox, rollup] = POSTGRES_MIGRATIONS;
    expect(await migrate(pool, [ledger!, first!])).toEqual([1, 2]);
    expect(await migrate(pool, [rollup!, outbox!, ledger!, first!])).toEqual([3, 4]);
    const { rows } = await pool.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    expect(rows[2]?.name).toBe('notification outbox');
    expect(rows[3]?.name).toBe('hourly usage rollup');
  });

  it('is all or nothing: a failing step leaves no step of the run behind', async () => {
    const schema = await fresh();
    const pool = schema.pool();
    await expect(migrate(pool, [POSTGRES_MIGRATIONS[0]!, { version: 2, name: 'broken', sql: 'CREATE TABLE broken (' }])).rejects.toThrow(/syntax error/);
    expect(await tables(pool)).toEqual([]);
    // The connection went back to the pool usable (its transaction rolled back).
    expect(await migrate(pool)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a database at a newer version than this release, with a clear message, changing nothing', async () => {
    const schema = await fresh();
    const pool = schema.pool();
    await migrate(pool);
    await pool.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (5, 'from the future', '2030-01-01T00:00:00Z')`);
    await expect(migrate(pool)).rejects.toThrow('the database schema is at version 5, newer than this release knows (4): upgrade Tollgate or use another database');
    // The gateway's start says the same, naming the store.
    const opening = openStore(schema.store());
    await expect(opening).rejects.toBeInstanceOf(StartupError);
    await expect(opening).rejects.toThrow(/^cannot open the PostgreSQL store at postgres:\/\/postgres@127\.0\.0\.1:5432\/test\?options=.*: the database schema is at version 5, newer/);
  });

  it('a store that cannot be reached fails the start naming the URL, its password masked', async () => {
    const port = await closedPort();
    const url = `postgres://tollgate:s3cret-pw@127.0.0.1:${port}/tollgate`;
    const opening = openStore({ kind: 'postgres', url, poolSize: 2, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    await expect(opening).rejects.toBeInstanceOf(StartupError);
    const message = await opening.then(
      () => '',
      (error: unknown) => (error as Error).message,
    );
    expect(message).toContain(`cannot open the PostgreSQL store at postgres://tollgate:***@127.0.0.1:${port}/tollgate: `);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret-pw');
  });
});

describe('the PostgreSQL readiness ping', () => {
  it('resolves when the database answers', async () => {
    const schema = await fresh();
    const pool = openPostgresPool(schema.store());
    try {
      await expect(pingPostgres(pool, 1_000)).resolves.toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('says postgres unreachable, and why, when nothing answers', async () => {
    const pool = openPostgresPool({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    try {
      await expect(pingPostgres(pool, 1_000)).rejects.toThrow(/^postgres unreachable: .*ECONNREFUSED/);
    } finally {
      await pool.end();
    }
  });

  it('gives up at its deadline when the server accepts but never answers', async () => {
    // A TCP listener that never speaks the protocol.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const pool = openPostgresPool({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test`, poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 5_000 });
    try {
      const started = Date.now();
      await expect(pingPostgres(pool, 300)).rejects.toThrow('postgres unreachable: no answer within 300 ms');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await pool.end().catch(() => undefined);
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

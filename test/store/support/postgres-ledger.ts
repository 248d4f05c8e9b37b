/**
 * The PostgreSQL side of the ledger tests: a schema of their own in the
 * shared test database (created with the ledger's tables, dropped afterwards),
 * pools whose connections use it, and a TCP proxy in front of the server
 * that a test can cut, stall and restore to make an outage without touching
 * the server others use.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import type { Pool } from 'pg';
import { LEDGER_MIGRATION } from '../../../src/store/postgres/ledger-schema.js';
import { ROLLUP_MIGRATION } from '../../../src/store/postgres/rollup-schema.js';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
const CONNECTION = { user: 'postgres', database: 'test' } as const;

export interface LedgerSchema {
  readonly name: string;
  /** A pool on this schema, through `port` (the server's, or a proxy's); ended by `drop`. */
  pool(options?: { port?: number; max?: number }): Pool;
  /** Empties the ledger's tables. */
  truncate(): Promise<void>;
  /** Ends the pools and drops the schema. */
  drop(): Promise<void>;
}

export async function createLedgerSchema(): Promise<LedgerSchema> {
  const name = `tg_${randomBytes(6).toString('hex')}`;
  const pools: Pool[] = [];
  const pool = (options: { port?: number; max?: number } = {}): Pool => {
    const created = new pg.Pool({ ...CONNECTION, host: PG_HOST, port: options.port ?? PG_PORT, max: options.max ?? 4, options: `-c search_path=${name}` });
    // An idle connection cut by the proxy errors here; the pool drops it and connects anew.
    created.on('error', () => undefined);
    pools.push(created);
    return created;
  };
  const admin = pool({ max: 1 });
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.query(LEDGER_MIGRATION.sql);
  await admin.query(ROLLUP_MIGRATION.sql);
  return {
    name,
    pool,
    truncate: async () => {
      await admin.query('TRUNCATE usage, usage_hourly, usage_latency_hourly');
    },
    drop: async () => {
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}

export interface CuttableProxy {
  readonly port: number;
  /** Refuses new connections and closes the open ones: the server looks down. */
  cut(): Promise<void>;
  /** Accepts connections but never answers: the server looks partitioned away. */
  stall(): Promise<void>;
  /** Forwards again (stalled connections are closed). */
  restore(): Promise<void>;
  /**
   * The next time a client sends bytes containing `marker`, they reach the
   * server, whose answer is thrown away and the proxy cut: the client never
   * learns that its statement was executed and committed. Resolves then.
   */
  loseReplyTo(marker: string): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly server: Socket | undefined;
}

export async function startCuttableProxy(): Promise<CuttableProxy> {
  const pairs = new Set<Pair>();
  let mode: 'forward' | 'stall' = 'forward';
  let armed: { marker: Buffer; lost: () => void } | undefined;
  let server: Server | undefined;
  let port = 0;

  const destroyAll = (): void => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.server?.destroy();
    }
    pairs.clear();
  };

  const onConnection = (client: Socket): void => {
    if (mode === 'stall') {
      const pair: Pair = { client, server: undefined };
      pairs.add(pair);
      client.on('error', () => undefined);
      client.on('close', () => pairs.delete(pair));
      return;
    }
    const upstream = connect(PG_PORT, PG_HOST);
    const pair: Pair = { client, server: upstream };
    pairs.add(pair);
    let loseNextReply = false;
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (armed !== undefined && chunk.includes(armed.marker)) loseNextReply = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!loseNextReply) {
        client.write(chunk);
        return;
      }
      const lost = armed?.lost;
      armed = undefined;
      void cut().then(() => lost?.());
    });
  };

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const created = createServer(onConnection);
      created.once('error', reject);
      created.listen(port, PG_HOST, () => {
        const address = created.address();
        if (address !== null && typeof address === 'object') port = address.port;
        server = created;
        resolve();
      });
    });

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      const current = server;
      server = undefined;
      if (current === undefined) resolve();
      else current.close(() => resolve());
    });

  const cut = async (): Promise<void> => {
    const closed = stopListening();
    destroyAll();
    await closed;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    stall: async () => {
      destroyAll();
      mode = 'stall';
      if (server === undefined) await listen();
    },
    restore: async () => {
      destroyAll();
      mode = 'forward';
      if (server === undefined) await listen();
    },
    loseReplyTo: (marker) =>
      new Promise<void>((resolve) => {
        armed = { marker: Buffer.from(marker), lost: resolve };
      }),
    close: cut,
  };
}

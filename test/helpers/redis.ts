/**
 * Redis for tests: the shared server at 127.0.0.1:6379, each test file under
 * a key prefix of its own (removed afterwards, never a FLUSHDB), and a TCP
 * proxy in front of it that a test cuts and restores to play an outage
 * without touching the server others use.
 */
import { randomUUID } from 'node:crypto';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config/types.js';

export const REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(what: string): string {
  return `tgtest:${what}:${randomUUID().slice(0, 8)}:`;
}

export function redisConfig(prefix: string, overrides: Partial<RedisConfig> = {}): RedisConfig {
  return { url: REDIS_URL, keyPrefix: prefix, whenUnavailable: 'fail_closed', connectTimeoutMs: 2_000, commandTimeoutMs: 500, holdTtlMs: 120_000, heartbeatMs: 1_000, deadAfterMs: 15_000, ...overrides };
}

/** Deletes every key under `prefix`. */
export async function removePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A TCP proxy to the test Redis: `cut()` drops every connection and refuses new ones until `restore()`. */
export interface RedisProxy {
  readonly url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startRedisProxy(): Promise<RedisProxy> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(Number(target.port || 6379), target.hostname, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const cut = (): void => {
    open = false;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    cut,
    restore() {
      open = true;
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns the milliseconds it took. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

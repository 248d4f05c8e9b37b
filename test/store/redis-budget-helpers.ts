/**
 * What the tests of the budgets shared through Redis share: a budget, a
 * client with a key prefix of its own (the Redis at 127.0.0.1:6379 serves
 * other tests at the same time: never a flush, only this prefix's keys are
 * deleted), and a TCP proxy to cut the connection and restore it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { BudgetRef } from '../../src/budgets/budget-store.js';

export const REDIS_PORT = 6379;
export const silentLog = pino({ level: 'silent' });

export function budget(id: string, limitUsd: number, options: { period?: 'day' | 'month'; tenant?: string; timeZone?: string } = {}): BudgetRef {
  const tenant = options.tenant ?? 'team';
  return {
    id,
    scope: id.startsWith('key:') ? 'key' : 'tenant',
    owner: id.split(':')[1] ?? id,
    tenant,
    config: { period: options.period ?? 'day', limitUsd, soft: [], timeZone: options.timeZone ?? 'UTC', reset: { hour: 0, minute: 0 } },
  };
}

/** A unique key prefix, and a cleanup that deletes its keys (SCAN, never FLUSH). */
export function testPrefix(): { readonly prefix: string; cleanup(redis: Redis): Promise<void> } {
  const prefix = `test:budgets:${randomUUID()}:`;
  return {
    prefix,
    async cleanup(redis) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    },
  };
}

export function client(port = REDIS_PORT): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
}

/** Every key of the prefix with its hash (the budgets' numbers, for assertions). */
export async function budgetHashes(redis: Redis, prefix: string): Promise<Map<string, Record<string, string>>> {
  const keys = (await redis.keys(`${prefix}budget:*`)).filter((k) => !k.endsWith(':holds'));
  const out = new Map<string, Record<string, string>>();
  for (const key of keys) out.set(key, await redis.hgetall(key));
  return out;
}

/** A TCP proxy to a Redis: `cut()` drops every connection and refuses new ones until `restore()`. */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private open = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort = REDIS_PORT): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((socket) => {
      const proxy = holder.proxy!;
      if (!proxy.open) {
        socket.destroy();
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      proxy.sockets.add(socket);
      proxy.sockets.add(upstream);
      socket.pipe(upstream);
      upstream.pipe(socket);
      const end = (): void => {
        socket.destroy();
        upstream.destroy();
        proxy.sockets.delete(socket);
        proxy.sockets.delete(upstream);
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    holder.proxy = new TcpProxy(server, address.port);
    return holder.proxy;
  }

  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

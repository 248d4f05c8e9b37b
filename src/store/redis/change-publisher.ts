/**
 * Key and tenant changes made outside a gateway (the CLI writing the store
 * directly) told to every running replica, as the admin API's changes are:
 * one short-lived connection, each change published as it is made, the
 * connection closed once every publish was answered. Redis unreachable: the
 * change is made all the same, and the replicas see it when their cached
 * entries expire (`onUnsent` says so).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../config/types.js';
import type { TenancyChange } from '../../tenancy/changes.js';
import { changeChannel, publishChange } from './change-bus.js';

export class ChangePublisher {
  private readonly client: Redis;
  private readonly channel: string;
  /** No replica has this origin: each applies the change. */
  private readonly origin = randomUUID();
  private readonly sending = new Set<Promise<void>>();

  constructor(
    config: RedisConfig,
    private readonly onUnsent: (error: unknown, change: TenancyChange) => void,
  ) {
    this.client = new Redis(config.url, {
      connectTimeout: config.connectTimeoutMs,
      commandTimeout: Math.max(config.commandTimeoutMs, config.connectTimeoutMs),
      maxRetriesPerRequest: 1,
      // A CLI run gives up rather than retry for ever: the caches expire anyway.
      retryStrategy: () => null,
      lazyConnect: true,
      connectionName: 'tollgate-cli',
    });
    this.client.on('error', () => undefined);
    this.channel = changeChannel(config.keyPrefix);
  }

  publish(change: TenancyChange): void {
    const sent = publishChange(this.client, this.channel, change, this.origin)
      .catch((error: unknown) => this.onUnsent(error, change))
      .finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  /** Waits for every publish to be answered (or to fail), then closes the connection. */
  async close(): Promise<void> {
    await Promise.all(this.sending);
    this.client.disconnect();
  }
}

/**
 * Key and tenant changes, told to every replica over Redis pub/sub (channel
 * `<prefix>changes`), so a key revoked through one replica is refused by all
 * of them at once rather than when their caches expire.
 *
 * Pub/sub delivers only to those connected at the time: a replica whose
 * subscription was down may have missed changes, so on every reconnect it
 * drops its whole key cache (the next requests read the store again).
 * Publishing is best effort: a change that cannot be published is still
 * stored, and other replicas see it when their cache entries expire.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseTenancyChange, type TenancyChange } from '../../tenancy/changes.js';
import type { SharedState } from './connection.js';

/** What the bus tells: the changes other replicas made, and that changes may have been missed. */
export interface ChangeListener {
  applyChange(change: TenancyChange): void;
  dropCaches(): void;
}

/** Another replica reloaded its configuration file (see ChangeBus.announceReload). */
function isReloadAnnouncement(value: unknown): value is { readonly kind: 'config'; readonly op: 'reloaded'; readonly origin: unknown } {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'config' && (value as { op?: unknown }).op === 'reloaded';
}

/** The channel every replica listens on for key and tenant changes. */
export function changeChannel(prefix: string): string {
  return `${prefix}changes`;
}

/**
 * Publishes one change on the channel. `origin` tells the publisher's own
 * messages from others' (a process that applies nothing itself, such as the
 * CLI, passes one no replica has).
 */
export async function publishChange(client: Redis, channel: string, change: TenancyChange, origin: string): Promise<void> {
  await client.publish(channel, JSON.stringify({ ...change, origin }));
}

export class ChangeBus {
  readonly channel: string;
  /** Tells this replica's own messages from others' (they are already applied here). */
  private readonly origin = randomUUID();
  private listener: ChangeListener | undefined;
  private reloadListener: (() => void) | undefined;

  constructor(
    private readonly shared: SharedState,
    private readonly log: Logger,
  ) {
    this.channel = changeChannel(shared.prefix);
  }

  /** Tells the other replicas of a change made here; never throws (see above). */
  publish(change: TenancyChange): void {
    publishChange(this.shared.client, this.channel, change, this.origin).catch((error: unknown) => {
      this.log.warn({ err: error, change }, 'could not tell other replicas of a key or tenant change: they see it when their cache entries expire');
    });
  }

  /**
   * Tells the other replicas that this one reloaded its configuration file:
   * each reloads its own (the same file, or the same ConfigMap), so one
   * SIGHUP reaches them all. Never throws.
   */
  announceReload(): void {
    this.shared.client.publish(this.channel, JSON.stringify({ kind: 'config', op: 'reloaded', origin: this.origin })).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not tell other replicas of the configuration reload: reload each of them (SIGHUP)');
    });
  }

  /** Called when another replica announces a configuration reload. */
  onReloadAnnounced(listener: () => void): void {
    this.reloadListener = listener;
  }

  /** Starts listening; resolves once subscribed, or at once while Redis is down (it subscribes when it is back). */
  async start(listener: ChangeListener): Promise<void> {
    this.listener = listener;
    const { subscriber } = this.shared;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    subscriber.on('ready', () => {
      // After a reconnect (or a first connection made after the start): what was published while the subscription was
      // down is lost. The cache is dropped once subscribed again, so nothing published after the drop can be missed.
      subscriber.subscribe(this.channel).then(
        () => {
          this.log.info('subscribed to key and tenant changes again: dropping every cached key (changes may have been missed)');
          this.listener?.dropCaches();
        },
        (error: unknown) => this.log.warn({ err: error }, 'could not subscribe to key and tenant changes again: retrying when connected'),
      );
    });
    const subscribing = subscriber.subscribe(this.channel);
    if (subscriber.status === 'ready') await subscribing;
    else subscribing.catch((error: unknown) => this.log.error({ err: error }, 'could not subscribe to key and tenant changes'));
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      parsed = undefined;
    }
    if (isReloadAnnouncement(parsed)) {
      if (parsed.origin !== this.origin) this.reloadListener?.();
      return;
    }
    const change = parseTenancyChange(parsed);
    if (change === undefined) {
      this.log.warn({ channel: this.channel }, 'ignored a message on the change channel that is not a key or tenant change');
      return;
    }
    if ((parsed as { origin?: unknown }).origin === this.origin) return;
    this.listener?.applyChange(change);
  }
}

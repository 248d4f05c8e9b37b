/**
 * The connections to the Redis that replicas share state through, opened
 * from the `redis` configuration, and what else a feature needs to use them
 * (SharedState): the key prefix, what to do while Redis is unavailable, and
 * a RedisHealth kept up to date from the client's events.
 *
 * Commands fail fast while the connection is down (no offline queue, one
 * retry at most): a request must not wait for a Redis that may take minutes
 * to return; what to do instead is the caller's choice (when_unavailable).
 * The connection itself is re-established in the background with a capped
 * backoff. Subscriptions need a connection of their own (a subscribed
 * connection accepts no other command); it queues its SUBSCRIBE until it is
 * connected and subscribes again after every reconnect.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/types.js';
import { maskRedisUrl } from '../../config/redis-schema.js';

/** Reconnect backoff: doubles from this … */
const RECONNECT_BASE_MS = 50;
/** … up to this, so a replica is back within about a second of Redis. */
const RECONNECT_CAP_MS = 1_000;

/** Whether the command connection is up, since when, and the last error it saw. */
export class RedisHealth {
  private upNow = false;
  private sinceMs: number;
  private lastErrorText: string | undefined;
  private readonly listeners: Array<(up: boolean) => void> = [];

  constructor(private readonly now: () => number = Date.now) {
    this.sinceMs = now();
  }

  get up(): boolean {
    return this.upNow;
  }

  /** When the current state (up or down) began, epoch milliseconds. */
  get since(): number {
    return this.sinceMs;
  }

  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** Told of every change between up and down (not of repeated errors while down). */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  markUp(): void {
    this.set(true);
  }

  markDown(error?: string): void {
    if (error !== undefined) this.lastErrorText = error;
    this.set(false);
  }

  /** Why Redis is unavailable, for /readyz and errors in logs. */
  describe(): string {
    const since = new Date(this.sinceMs).toISOString();
    return this.upNow ? `up since ${since}` : `unreachable since ${since}${this.lastErrorText === undefined ? '' : ` (${this.lastErrorText})`}`;
  }

  private set(up: boolean): void {
    if (up === this.upNow) return;
    this.upNow = up;
    this.sinceMs = this.now();
    for (const listener of this.listeners) listener(up);
  }
}

/** What features sharing state across replicas are handed (rate limits, the change bus, budgets). */
export interface SharedState {
  /** Commands (scripts, PUBLISH). Fails fast while down. */
  readonly client: Redis;
  /** Subscriptions only. */
  readonly subscriber: Redis;
  readonly health: RedisHealth;
  /** Before every key and channel name. */
  readonly prefix: string;
  readonly whenUnavailable: RedisConfig['whenUnavailable'];
  readonly commandTimeoutMs: number;
  /** The readiness probe (see pingRedis). */
  ping(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** An error's message with the URL's password taken out (ioredis does not print it, but a message may quote the URL). */
function errorText(error: unknown, secret: string): string {
  const text = error instanceof Error ? error.message : String(error);
  return secret === '' ? text : text.split(secret).join('***');
}

function options(config: RedisConfig, subscriber: boolean): RedisOptions {
  return {
    connectTimeout: config.connectTimeoutMs,
    // A subscribed connection runs no command that could time out; its SUBSCRIBE waits for the connection.
    // Commands are not sent again after a reconnect: an admission whose reply was lost may have been counted, and
    // counting it twice would refuse a call the limit allows (the caller has already handled the failure).
    ...(subscriber
      ? { enableOfflineQueue: true, maxRetriesPerRequest: null }
      : {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: config.commandTimeoutMs,
          autoResendUnfulfilledCommands: false,
          // The commands of concurrent calls issued in one event-loop turn go out in one write (one syscall, one
          // reply read), not one each: the shared book's reserve and settle are on every budgeted call.
          enableAutoPipelining: true,
        }),
    retryStrategy: (attempt: number) => Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 10)),
    // Not on ready: a replica whose Redis is down starts anyway and serves as when_unavailable says.
    lazyConnect: true,
    connectionName: subscriber ? 'tollgate-subscriber' : 'tollgate',
  };
}

/** Resolves when the client is ready, or after `timeoutMs` (or its first failure): never rejects. */
function firstConnect(client: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.connect().then(done, done);
  });
}

/**
 * Opens both connections. A Redis that cannot be reached within
 * `connect_timeout` does not stop the start: the gateway serves as
 * `when_unavailable` says and /readyz names Redis until it is back.
 */
export async function openSharedState(config: RedisConfig, log: Logger): Promise<SharedState> {
  const password = new URL(config.url).password;
  const where = maskRedisUrl(config.url);
  const health = new RedisHealth();
  const client = new Redis(config.url, options(config, false));
  const subscriber = new Redis(config.url, options(config, true));
  client.on('ready', () => health.markUp());
  client.on('error', (error: unknown) => health.markDown(errorText(error, password)));
  client.on('close', () => health.markDown());
  // Without a listener ioredis prints every connection error; the command connection's state tells the same story.
  subscriber.on('error', () => undefined);
  health.onChange((up) => {
    if (up) log.info({ redis: where }, 'connected to Redis');
    else log.error({ redis: where, err: health.lastError }, 'lost the connection to Redis: reconnecting');
  });
  await Promise.all([firstConnect(client, config.connectTimeoutMs), firstConnect(subscriber, config.connectTimeoutMs)]);
  if (!health.up) log.error({ redis: where, err: health.lastError }, 'Redis cannot be reached: serving as redis.when_unavailable says until it can');
  let closing: Promise<void> | undefined;
  const state: SharedState = {
    client,
    subscriber,
    health,
    prefix: config.keyPrefix,
    whenUnavailable: config.whenUnavailable,
    commandTimeoutMs: config.commandTimeoutMs,
    ping: (signal) => pingRedis(state, signal),
    close() {
      closing ??= (async () => {
        subscriber.disconnect();
        // QUIT lets replies in flight arrive; a connection that is down has none and is dropped at once.
        await client.quit().catch(() => client.disconnect());
      })();
      return closing;
    },
  };
  return state;
}

/**
 * The readiness probe: PING, within the command timeout (or sooner, when
 * `signal` aborts). Fails at once, saying since when, while the connection
 * is known to be down.
 */
export async function pingRedis(shared: SharedState, signal: AbortSignal): Promise<void> {
  if (!shared.health.up) throw new Error(`Redis is ${shared.health.describe()}`);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error('Redis did not answer PING in time'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([shared.client.ping(), aborted]);
  } catch (error) {
    throw new Error(`Redis did not answer PING: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

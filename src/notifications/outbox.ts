/**
 * The durable outbox: every notification is stored once per channel before
 * anything is sent (`notify` resolves then), and a worker delivers what is
 * due, in the background, retrying failures with backoff (see backoff.ts).
 * Pending rows survive a restart and are picked up by the next start.
 *
 * At most once per channel. A row is claimed (`sending`, with the time and
 * the worker) before its send starts and marked `delivered` as soon as the
 * receiver accepted it. A row found still `sending` after its lease
 * (`leaseMs`, well above the longest send) was left by a worker that stopped
 * during the send (a crash, a kill -9, a power loss): the receiver may or may
 * not have it, and nothing can tell. Such a row is marked `failed`
 * (outcome `interrupted`), logged with its id, and NOT sent again: a second
 * alert the reader cannot tell from a new one is worse than one that may be
 * missing, the window is the length of one send, and the generic webhook's
 * receiver, which can deduplicate by id, is the only one that could have
 * made a resend safe. A clean shutdown never leaves such a row: it stops
 * claiming, lets the sends in flight finish (up to `close`'s wait), and marks
 * the ones it has to cut short `interrupted` itself.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.js';
import type { RandomSource } from '../util/random.js';
import { DEFAULT_RETRY_SCHEDULE, nextAttemptAt, type RetrySchedule } from './backoff.js';
import { DeliveryError, type Channel } from './channels/index.js';
import type { Notification, Notifier } from './contracts.js';
import type { NotificationStore, OutboxEntry } from './store.js';

export type DeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'interrupted';

export interface OutboxOptions {
  readonly store: NotificationStore;
  readonly channels: readonly Channel[];
  readonly log: Logger;
  /** `now` for the stored times (epoch ms, across restarts), `sleep` for the worker's waits. */
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly schedule?: RetrySchedule;
  /** A `sending` row older than this was abandoned by its worker (default 2 min). */
  readonly leaseMs?: number;
  /** The longest wait between two looks at the store, for rows other replicas stored (default 30 s). */
  readonly pollMs?: number;
  /** Rows claimed (and sent concurrently) per turn (default 16). */
  readonly batch?: number;
  /** Told of every attempt's outcome (the `tollgate_notifications_total` counter). */
  readonly onOutcome?: (channel: string, kind: string, outcome: DeliveryOutcome) => void;
}

export const DEFAULT_LEASE_MS = 120_000;
export const DEFAULT_POLL_MS = 30_000;
const DEFAULT_BATCH = 16;
const INTERRUPTED = 'interrupted: the gateway stopped during the send; the receiver may or may not have it, so it is not sent again';

export class Outbox implements Notifier {
  private readonly channels: ReadonlyMap<string, Channel>;
  private readonly names: readonly string[];
  private readonly schedule: RetrySchedule;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;
  /** Claims are made in this worker's name; another replica's rows are not touched. */
  private readonly worker = randomUUID();
  /** Aborts the sends in flight when `close` can wait no longer. */
  private readonly cutShort = new AbortController();
  private sleeper: AbortController | undefined;
  private woken = false;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: OutboxOptions) {
    this.channels = new Map(options.channels.map((channel) => [channel.name, channel]));
    this.names = options.channels.map((channel) => channel.name);
    this.schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.batch = options.batch ?? DEFAULT_BATCH;
  }

  /** Stores the notification for every channel (an id already stored is ignored) and wakes the worker. */
  async notify(notification: Notification): Promise<void> {
    if (this.names.length === 0) return;
    if (this.stopped) throw new Error(`notification ${notification.id} not stored: the outbox is closed`);
    const added = await this.options.store.enqueue(notification, this.names, this.options.clock.now());
    if (added.length === 0) return;
    this.options.log.debug({ notification: notification.id, kind: notification.kind, channels: added }, 'notification queued');
    this.wake();
  }

  /** Starts the worker (once). */
  start(): void {
    if (this.names.length === 0 || this.running !== undefined || this.stopped) return;
    this.running = this.run();
  }

  /** Rows waiting for a channel or being sent, in the store (all replicas). */
  backlog(): Promise<number> {
    return this.names.length === 0 ? Promise.resolve(0) : this.options.store.backlog(this.names);
  }

  /**
   * Stops claiming rows and waits up to `waitMs` for the sends in flight;
   * those still running then are cut short and marked `interrupted`.
   */
  async close(waitMs = 5_000): Promise<void> {
    this.stopped = true;
    this.sleeper?.abort();
    const running = this.running;
    if (running === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([running.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      this.cutShort.abort(new Error('the gateway is shutting down'));
      await running;
    }
  }

  private wake(): void {
    this.woken = true;
    this.sleeper?.abort();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      try {
        waitMs = await this.turn();
      } catch (error) {
        this.options.log.error({ err: error }, 'the notification outbox cannot read or write its store; trying again later');
        waitMs = this.pollMs;
      }
      if (this.stopped) return;
      if (this.woken || waitMs <= 0) continue;
      this.sleeper = new AbortController();
      await this.options.clock.sleep(waitMs, this.sleeper.signal).catch(() => undefined);
      this.sleeper = undefined;
    }
  }

  /** Sends what is due; resolves to how long to wait before the next turn. */
  private async turn(): Promise<number> {
    this.woken = false;
    const { store, clock } = this.options;
    const now = clock.now();
    await this.reapAbandoned(now);
    const entries = await store.claim(this.names, now, this.batch, this.worker);
    if (entries.length > 0) {
      // Every send ends before the next turn (and before `close` returns), even when the store fails for one of them.
      const results = await Promise.allSettled(entries.map((entry) => this.deliver(entry)));
      for (const result of results) if (result.status === 'rejected') this.options.log.error({ err: result.reason as unknown }, 'the notification outbox cannot record a delivery attempt in its store');
      return 0;
    }
    const next = await store.nextDue(this.names);
    return next === undefined ? this.pollMs : Math.min(this.pollMs, Math.max(1, next - clock.now()));
  }

  private async reapAbandoned(now: number): Promise<void> {
    const abandoned = await this.options.store.abandon(this.names, now - this.leaseMs, now, INTERRUPTED);
    for (const row of abandoned) {
      this.options.onOutcome?.(row.channel, row.kind, 'interrupted');
      this.options.log.error(
        { notification: row.id, channel: row.channel, attempts: row.attempts },
        `notification ${row.id} was being sent to ${row.channel} when a gateway stopped; it may or may not have arrived and is not sent again`,
      );
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const { store, clock, log } = this.options;
    const { notification } = entry;
    const channel = this.channels.get(entry.channel)!;
    const context = { notification: notification.id, kind: notification.kind, tenant: notification.tenant, channel: channel.name, target: channel.target, attempt: entry.attempts };
    const started = clock.now();
    try {
      await untilAborted(channel.send(notification, this.cutShort.signal), this.cutShort.signal);
    } catch (error) {
      await this.failedAttempt(entry, channel, error, context);
      return;
    }
    this.options.onOutcome?.(channel.name, notification.kind, 'delivered');
    log.info({ ...context, ms: Math.round(clock.now() - started) }, 'notification delivered');
    try {
      await store.delivered(notification.id, channel.name, this.worker, clock.now());
    } catch (error) {
      // The row stays `sending` and is reaped as interrupted: never sent twice.
      log.error({ ...context, err: error }, 'a delivered notification could not be marked delivered in the store');
    }
  }

  private async failedAttempt(entry: OutboxEntry, channel: Channel, error: unknown, context: Readonly<Record<string, unknown>>): Promise<void> {
    const { store, clock, log } = this.options;
    const { notification } = entry;
    const now = clock.now();
    const detail = error instanceof DeliveryError ? { reason: error.message, status: error.status, answer: error.excerpt } : { reason: error instanceof Error ? error.message : String(error) };
    const summary = `${detail.reason}${'answer' in detail && detail.answer ? `: ${detail.answer}` : ''}`;
    if (this.cutShort.signal.aborted) {
      await store.failed(notification.id, channel.name, this.worker, now, INTERRUPTED);
      this.options.onOutcome?.(channel.name, notification.kind, 'interrupted');
      log.error({ ...context, ...detail }, `notification ${notification.id} was cut short by the shutdown while being sent to ${channel.name}; it may or may not have arrived and is not sent again`);
      return;
    }
    const next = nextAttemptAt(entry.attempts, entry.storedAt, now, this.schedule, this.options.random);
    if (next === undefined) {
      await store.failed(notification.id, channel.name, this.worker, now, summary);
      this.options.onOutcome?.(channel.name, notification.kind, 'failed');
      log.error({ ...context, ...detail }, `gave up sending notification ${notification.id} to ${channel.name} (${channel.target}) after ${entry.attempts} attempts`);
      return;
    }
    await store.retry(notification.id, channel.name, this.worker, next, summary);
    this.options.onOutcome?.(channel.name, notification.kind, 'retried');
    log.warn({ ...context, ...detail, next_attempt_at: new Date(next).toISOString() }, `sending a notification to ${channel.name} (${channel.target}) failed; it is retried`);
  }
}

/** The send, or a rejection as soon as the signal aborts (an SMTP exchange cannot be aborted itself). */
function untilAborted(send: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    send.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

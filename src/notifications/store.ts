/**
 * Where the outbox keeps notifications until each channel has them: one row
 * per (notification id, channel), never replaced, so an id is delivered at
 * most once per channel for ever, across restarts and across replicas that
 * share the store. Asynchronous for the networked stores; the embedded SQLite
 * store answers at once.
 *
 * A row's life: `pending` (due at `nextAttemptAt`) → `sending` (claimed by one
 * worker, `claimedAt`) → `delivered`, or back to `pending` with a later
 * attempt after a failure, or `failed` when the outbox gives up.
 */
import type { Notification } from './contracts.js';

export type ChannelName = 'slack' | 'webhook' | 'email';

export type OutboxState = 'pending' | 'sending' | 'delivered' | 'failed';

/** A row claimed for sending. */
export interface OutboxEntry {
  readonly notification: Notification;
  readonly channel: string;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  /** Epoch ms when it was stored. */
  readonly storedAt: number;
}

/** A row found `sending` past its lease: its worker stopped (a crash) during the send. */
export interface AbandonedEntry {
  readonly id: string;
  readonly channel: string;
  readonly kind: string;
  readonly attempts: number;
}

export interface NotificationStore {
  /**
   * Stores the notification once per channel (`pending`, due at `at`); an
   * (id, channel) already stored, in any state, is left as it is. Resolves to
   * the channels for which it was new.
   */
  enqueue(notification: Notification, channels: readonly string[], at: number): Promise<string[]>;
  /**
   * Takes up to `limit` pending rows of `channels` due at `at` for `worker`:
   * each becomes `sending`, claimed at `at`, its attempts counted. No other
   * worker can take them until they are released.
   */
  claim(channels: readonly string[], at: number, limit: number, worker: string): Promise<OutboxEntry[]>;
  /** The claimed row was delivered. */
  delivered(id: string, channel: string, worker: string, at: number): Promise<void>;
  /** The claimed row failed; it is due again at `nextAttemptAt`. */
  retry(id: string, channel: string, worker: string, nextAttemptAt: number, error: string): Promise<void>;
  /** The claimed row failed for good. */
  failed(id: string, channel: string, worker: string, at: number, error: string): Promise<void>;
  /**
   * Rows of `channels` still `sending` although claimed at or before
   * `claimedBefore`: each becomes `failed` with `error`, and is returned.
   */
  abandon(channels: readonly string[], claimedBefore: number, at: number, error: string): Promise<AbandonedEntry[]>;
  /** The earliest `nextAttemptAt` among pending rows of `channels`; undefined when none is pending. */
  nextDue(channels: readonly string[]): Promise<number | undefined>;
  /** Rows of `channels` pending or being sent. */
  backlog(channels: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

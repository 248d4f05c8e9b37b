/**
 * The notification outbox in PostgreSQL: the SQLite store's semantics
 * (sqlite/notification-store.ts) for replicas that share one database.
 *
 * - `enqueue` is one INSERT … ON CONFLICT DO NOTHING: a notification raised
 *   by two replicas at once is one row per channel.
 * - `claim` is one UPDATE whose rows come from a SELECT … FOR UPDATE SKIP
 *   LOCKED: two replicas polling at once never take the same row, and
 *   neither waits for the other's.
 * - The marks after a send touch a row only while it is `sending` and
 *   claimed by the same worker, so a row reaped by `abandon` stays reaped.
 *
 * The pool belongs to whoever opened it (store/open-store.ts): `close`
 * leaves it open.
 */
import type { Notification } from '../../notifications/contracts.js';
import type { AbandonedEntry, NotificationStore, OutboxEntry } from '../../notifications/store.js';
import { integerOf, integerOrUndefined, type PostgresPool } from './database.js';

interface ClaimedRow {
  readonly payload: string;
  readonly channel: string;
  readonly attempts: number;
  readonly created_at: string;
}

export class PostgresNotificationStore implements NotificationStore {
  constructor(private readonly pool: PostgresPool) {}

  async enqueue(notification: Notification, channels: readonly string[], at: number): Promise<string[]> {
    if (channels.length === 0) return [];
    const { rows } = await this.pool.query<{ channel: string }>(
      `INSERT INTO notification_outbox (id, channel, kind, tenant, payload, state, attempts, created_at, next_attempt_at)
       SELECT $1::text, channel, $2::text, $3::text, $4::text, 'pending', 0, $5::bigint, $5::bigint FROM unnest($6::text[]) AS channel
       ON CONFLICT (id, channel) DO NOTHING
       RETURNING channel`,
      [notification.id, notification.kind, notification.tenant, JSON.stringify(notification), at, [...channels]],
    );
    // In the order given, each once: RETURNING keeps no order.
    const added = new Set(rows.map((r) => r.channel));
    return [...new Set(channels)].filter((channel) => added.has(channel));
  }

  async claim(channels: readonly string[], at: number, limit: number, worker: string): Promise<OutboxEntry[]> {
    const { rows } = await this.pool.query<ClaimedRow>(
      `WITH due AS (
         SELECT id, channel FROM notification_outbox
         WHERE state = 'pending' AND next_attempt_at <= $1 AND channel = ANY($3::text[])
         ORDER BY next_attempt_at
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE notification_outbox AS o SET state = 'sending', claimed_at = $1, claimed_by = $2, attempts = o.attempts + 1
         FROM due WHERE o.id = due.id AND o.channel = due.channel
         RETURNING o.payload, o.channel, o.attempts, o.created_at, o.next_attempt_at
       )
       SELECT payload, channel, attempts, created_at FROM claimed ORDER BY next_attempt_at, created_at`,
      [at, worker, [...channels], limit],
    );
    return rows.map((row) => ({ notification: JSON.parse(row.payload) as Notification, channel: row.channel, attempts: row.attempts, storedAt: integerOf(row.created_at) }));
  }

  async delivered(id: string, channel: string, worker: string, at: number): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'delivered', finished_at = $1, last_error = NULL
       WHERE id = $2 AND channel = $3 AND state = 'sending' AND claimed_by = $4`,
      [at, id, channel, worker],
    );
  }

  async retry(id: string, channel: string, worker: string, nextAttemptAt: number, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'pending', next_attempt_at = $1, last_error = $2, claimed_at = NULL, claimed_by = NULL
       WHERE id = $3 AND channel = $4 AND state = 'sending' AND claimed_by = $5`,
      [nextAttemptAt, error, id, channel, worker],
    );
  }

  async failed(id: string, channel: string, worker: string, at: number, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'failed', finished_at = $1, last_error = $2
       WHERE id = $3 AND channel = $4 AND state = 'sending' AND claimed_by = $5`,
      [at, error, id, channel, worker],
    );
  }

  async abandon(channels: readonly string[], claimedBefore: number, at: number, error: string): Promise<AbandonedEntry[]> {
    const { rows } = await this.pool.query<AbandonedEntry>(
      `UPDATE notification_outbox SET state = 'failed', finished_at = $1, last_error = $2
       WHERE state = 'sending' AND claimed_at <= $3 AND channel = ANY($4::text[])
       RETURNING id, channel, kind, attempts`,
      [at, error, claimedBefore, [...channels]],
    );
    return rows;
  }

  async nextDue(channels: readonly string[]): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ due: string | null }>(
      `SELECT MIN(next_attempt_at) AS due FROM notification_outbox WHERE state = 'pending' AND channel = ANY($1::text[])`,
      [[...channels]],
    );
    return integerOrUndefined(rows[0]?.due ?? null);
  }

  async backlog(channels: readonly string[]): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT COUNT(*) AS count FROM notification_outbox WHERE state IN ('pending', 'sending') AND channel = ANY($1::text[])`,
      [[...channels]],
    );
    return integerOf(rows[0]?.count ?? 0);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The notification outbox in the embedded SQLite store (the same file as the
 * usage ledger: one database, several tables). The primary key (id, channel)
 * with INSERT OR IGNORE makes a notification raised twice (a restart, a
 * second replica on the same file) one row per channel. A claim is one
 * UPDATE … RETURNING, so two processes polling the same file never take the
 * same row: SQLite runs one writer at a time.
 */
import type { Notification } from '../../notifications/contracts.js';
import type { AbandonedEntry, NotificationStore, OutboxEntry } from '../../notifications/store.js';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from './database.js';

interface ClaimedRow {
  readonly payload: string;
  readonly channel: string;
  readonly attempts: number;
  readonly created_at: number;
}

interface ClaimParams {
  readonly at: number;
  readonly worker: string;
  readonly channels: string;
  readonly limit: number;
}

interface RowParams {
  readonly id: string;
  readonly channel: string;
  readonly worker: string;
  readonly at: number;
}

interface AbandonParams {
  readonly at: number;
  readonly error: string;
  readonly channels: string;
  readonly before: number;
}

/** Channel lists are bound as one JSON array (`json_each`), so every statement is prepared once. */
const channelsParam = (channels: readonly string[]): string => JSON.stringify(channels);

export class SqliteNotificationStore implements NotificationStore {
  private readonly insert: SqliteStatement<[string, string, string, string, string, number, number], unknown>;
  private readonly claimRows: SqliteStatement<[ClaimParams], ClaimedRow>;
  private readonly markDelivered: SqliteStatement<[RowParams], unknown>;
  private readonly markRetry: SqliteStatement<[Omit<RowParams, 'at'> & { readonly next: number; readonly error: string }], unknown>;
  private readonly markFailed: SqliteStatement<[RowParams & { readonly error: string }], unknown>;
  private readonly abandonRows: SqliteStatement<[AbandonParams], AbandonedEntry>;
  private readonly earliest: SqliteStatement<[string], number | null>;
  private readonly count: SqliteStatement<[string], number>;

  private constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO notification_outbox (id, channel, kind, tenant, payload, state, attempts, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    );
    this.claimRows = db.prepare(
      `UPDATE notification_outbox SET state = 'sending', claimed_at = @at, claimed_by = @worker, attempts = attempts + 1
       WHERE (id, channel) IN (
         SELECT id, channel FROM notification_outbox
         WHERE state = 'pending' AND next_attempt_at <= @at AND channel IN (SELECT value FROM json_each(@channels))
         ORDER BY next_attempt_at LIMIT @limit)
       RETURNING payload, channel, attempts, created_at`,
    );
    this.markDelivered = db.prepare(
      `UPDATE notification_outbox SET state = 'delivered', finished_at = @at, last_error = NULL
       WHERE id = @id AND channel = @channel AND state = 'sending' AND claimed_by = @worker`,
    );
    this.markRetry = db.prepare(
      `UPDATE notification_outbox SET state = 'pending', next_attempt_at = @next, last_error = @error, claimed_at = NULL, claimed_by = NULL
       WHERE id = @id AND channel = @channel AND state = 'sending' AND claimed_by = @worker`,
    );
    this.markFailed = db.prepare(
      `UPDATE notification_outbox SET state = 'failed', finished_at = @at, last_error = @error
       WHERE id = @id AND channel = @channel AND state = 'sending' AND claimed_by = @worker`,
    );
    this.abandonRows = db.prepare(
      `UPDATE notification_outbox SET state = 'failed', finished_at = @at, last_error = @error
       WHERE state = 'sending' AND claimed_at <= @before AND channel IN (SELECT value FROM json_each(@channels))
       RETURNING id, channel, kind, attempts`,
    );
    this.earliest = db
      .prepare<[string], number | null>(
        `SELECT MIN(next_attempt_at) FROM notification_outbox WHERE state = 'pending' AND channel IN (SELECT value FROM json_each(?))`,
      )
      .pluck();
    this.count = db
      .prepare<[string], number>(`SELECT COUNT(*) FROM notification_outbox WHERE state IN ('pending', 'sending') AND channel IN (SELECT value FROM json_each(?))`)
      .pluck();
  }

  /** Opens (and migrates) the store at `path`; `:memory:` keeps nothing across a restart. */
  static open(path: string): SqliteNotificationStore {
    return new SqliteNotificationStore(openSqlite(path));
  }

  enqueue(notification: Notification, channels: readonly string[], at: number): Promise<string[]> {
    const payload = JSON.stringify(notification);
    const added: string[] = [];
    const insertAll = this.db.transaction(() => {
      for (const channel of channels) {
        const result = this.insert.run(notification.id, channel, notification.kind, notification.tenant, payload, at, at) as { changes: number };
        if (result.changes > 0) added.push(channel);
      }
    });
    insertAll.immediate();
    return Promise.resolve(added);
  }

  claim(channels: readonly string[], at: number, limit: number, worker: string): Promise<OutboxEntry[]> {
    const rows = this.claimRows.all({ at, worker, channels: channelsParam(channels), limit });
    return Promise.resolve(rows.map((row) => ({ notification: JSON.parse(row.payload) as Notification, channel: row.channel, attempts: row.attempts, storedAt: row.created_at })));
  }

  delivered(id: string, channel: string, worker: string, at: number): Promise<void> {
    this.markDelivered.run({ at, id, channel, worker });
    return Promise.resolve();
  }

  retry(id: string, channel: string, worker: string, nextAttemptAt: number, error: string): Promise<void> {
    this.markRetry.run({ next: nextAttemptAt, id, channel, worker, error });
    return Promise.resolve();
  }

  failed(id: string, channel: string, worker: string, at: number, error: string): Promise<void> {
    this.markFailed.run({ at, id, channel, worker, error });
    return Promise.resolve();
  }

  abandon(channels: readonly string[], claimedBefore: number, at: number, error: string): Promise<AbandonedEntry[]> {
    return Promise.resolve(this.abandonRows.all({ at, error, channels: channelsParam(channels), before: claimedBefore }));
  }

  nextDue(channels: readonly string[]): Promise<number | undefined> {
    return Promise.resolve(this.earliest.get(channelsParam(channels)) ?? undefined);
  }

  backlog(channels: readonly string[]): Promise<number> {
    return Promise.resolve(this.count.get(channelsParam(channels)) ?? 0);
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

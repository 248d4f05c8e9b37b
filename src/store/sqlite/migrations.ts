/**
 * The embedded store's schema, as an append-only list of migrations. A
 * database records the versions it has applied in `schema_migrations`; a new
 * release appends a migration and never edits a shipped one.
 */
import { latencyBucketSql } from '../../metering/latency-histogram.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'usage ledger',
    sql: `
      CREATE TABLE usage (
        id                INTEGER PRIMARY KEY,
        time              INTEGER NOT NULL,  -- epoch ms, when the call finished
        day               TEXT    NOT NULL,  -- UTC day of time, YYYY-MM-DD
        request_id        TEXT    NOT NULL,
        tenant            TEXT    NOT NULL,
        key_id            TEXT,
        route_model       TEXT    NOT NULL,
        provider          TEXT,
        upstream_model    TEXT,
        prompt_tokens     INTEGER NOT NULL CHECK (prompt_tokens >= 0),
        completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),
        cached_tokens     INTEGER NOT NULL CHECK (cached_tokens >= 0),
        reasoning_tokens  INTEGER NOT NULL CHECK (reasoning_tokens >= 0),
        cost_usd          REAL    NOT NULL CHECK (cost_usd >= 0),
        estimated         INTEGER NOT NULL CHECK (estimated IN (0, 1)),
        status            TEXT    NOT NULL,
        http_status       INTEGER NOT NULL,
        latency_ms        INTEGER NOT NULL,
        ttft_ms           INTEGER
      );
      CREATE INDEX usage_day_tenant ON usage (day, tenant);
      CREATE INDEX usage_time ON usage (time);
    `,
  },
  {
    version: 2,
    name: 'tenants and virtual keys',
    sql: `
      CREATE TABLE tenants (
        name        TEXT PRIMARY KEY,
        models      TEXT,              -- JSON array of patterns; NULL for every model
        rpm         INTEGER CHECK (rpm > 0),
        tpm         INTEGER CHECK (tpm > 0),
        metadata    TEXT NOT NULL,     -- JSON object
        source      TEXT NOT NULL CHECK (source IN ('config', 'api')),
        created_at  INTEGER NOT NULL,  -- epoch ms
        updated_at  INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id                    TEXT PRIMARY KEY,  -- the public id of tg_<id>_<secret>
        tenant                TEXT NOT NULL REFERENCES tenants (name),
        name                  TEXT,
        models                TEXT,
        rpm                   INTEGER CHECK (rpm > 0),
        tpm                   INTEGER CHECK (tpm > 0),
        expires_at            INTEGER,
        metadata              TEXT NOT NULL,
        created_at            INTEGER NOT NULL,
        revoked_at            INTEGER,
        last_four             TEXT NOT NULL,
        secret_hash           TEXT NOT NULL,   -- SHA-256 hex; never the key
        previous_secret_hash  TEXT,
        previous_valid_until  INTEGER
      );
      CREATE INDEX api_keys_tenant ON api_keys (tenant);
    `,
  },
  {
    version: 3,
    name: 'budgets and guardrails of tenants and keys',
    // The written (snake_case) form of src/tenancy/cost-controls.ts, every default spelled out:
    //   budgets    [{"period":"month","limit_usd":500,"soft":[0.8],"timezone":"UTC","reset_at":"00:00"}]
    //   guardrails {"clamp":{"min_output_tokens":256},"max_output_tokens":8000}
    // NULL for none. Read back through the configuration's schemas.
    sql: `
      ALTER TABLE tenants ADD COLUMN budgets TEXT;      -- JSON array of budgets, at most one per period; NULL for none
      ALTER TABLE tenants ADD COLUMN guardrails TEXT;   -- JSON object; NULL for none
      ALTER TABLE api_keys ADD COLUMN budgets TEXT;
      ALTER TABLE api_keys ADD COLUMN guardrails TEXT;
    `,
  },
  {
    version: 4,
    name: 'notification outbox',
    sql: `
      CREATE TABLE notification_outbox (
        id              TEXT    NOT NULL,  -- the notification's id: unique for ever
        channel         TEXT    NOT NULL,  -- slack, webhook, email
        kind            TEXT    NOT NULL,
        tenant          TEXT    NOT NULL,
        payload         TEXT    NOT NULL,  -- the notification as JSON
        state           TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL CHECK (attempts >= 0),
        created_at      INTEGER NOT NULL,  -- epoch ms, when it was stored
        next_attempt_at INTEGER NOT NULL,  -- epoch ms; meaningful while pending
        claimed_at      INTEGER,           -- epoch ms, when a worker took it for sending
        claimed_by      TEXT,              -- that worker's id
        finished_at     INTEGER,           -- epoch ms, delivered or given up
        last_error      TEXT,
        PRIMARY KEY (id, channel)
      ) WITHOUT ROWID;
      CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at);
    `,
  },
  {
    version: 5,
    name: 'requested model of each call',
    sql: `
      -- The model name the client sent; route_model is the route that served it (they differ after a downgrade).
      -- NULL in rows written before: read as route_model.
      ALTER TABLE usage ADD COLUMN requested_model TEXT;
    `,
  },
  {
    version: 6,
    name: 'hourly usage rollup',
    // Kept by the ledger in the transaction that inserts the rows (see store/usage-rollup.ts for
    // the why of two tables); filled here from the rows written before. Latency buckets are
    // computed with SQLite's math functions (better-sqlite3 builds with them).
    sql: `
      CREATE TABLE usage_hourly (
        hour              INTEGER NOT NULL,  -- epoch ms of the UTC hour's start
        tenant            TEXT    NOT NULL,
        key_id            TEXT    NOT NULL,  -- '' for calls without a key
        route_model       TEXT    NOT NULL,
        requests          INTEGER NOT NULL,
        errors            INTEGER NOT NULL,  -- status not ok nor cancelled
        prompt_tokens     INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cached_tokens     INTEGER NOT NULL,
        reasoning_tokens  INTEGER NOT NULL,
        cost_usd          REAL    NOT NULL,
        PRIMARY KEY (hour, tenant, key_id, route_model)
      ) WITHOUT ROWID;
      CREATE TABLE usage_latency_hourly (
        hour        INTEGER NOT NULL,
        tenant      TEXT    NOT NULL,
        route_model TEXT    NOT NULL,
        bucket      INTEGER NOT NULL,  -- see metering/latency-histogram.ts
        count       INTEGER NOT NULL,
        PRIMARY KEY (hour, bucket, tenant, route_model)  -- a time series groups by hour and bucket
      ) WITHOUT ROWID;
      INSERT INTO usage_hourly
        SELECT time - time % 3600000, tenant, COALESCE(key_id, ''), route_model, COUNT(*),
               SUM(CASE WHEN status IN ('ok', 'cancelled') THEN 0 ELSE 1 END),
               SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(reasoning_tokens), SUM(cost_usd)
          FROM usage GROUP BY 1, 2, 3, 4;
      INSERT INTO usage_latency_hourly
        SELECT time - time % 3600000, tenant, route_model, ${latencyBucketSql('latency_ms')}, COUNT(*)
          FROM usage GROUP BY 1, 2, 3, 4;
    `,
  },
];

/**
 * The PostgreSQL schema, as an append-only list of steps (see migration.ts).
 * The tables have the columns of the embedded store's (sqlite/migrations.ts)
 * after all its steps, in PostgreSQL's types: epoch milliseconds and limits
 * are BIGINT, JSON values are TEXT in the same encoding, so the readers of
 * tenancy/cost-controls.ts read both stores' values alike.
 */
import { LEDGER_MIGRATION } from './ledger-schema.js';
import type { PostgresMigration } from './migration.js';
import { ROLLUP_MIGRATION } from './rollup-schema.js';

const TENANCY_MIGRATION: PostgresMigration = {
  version: 1,
  name: 'tenants and virtual keys, with their budgets and guardrails',
  sql: `
    CREATE TABLE tenants (
      name        TEXT PRIMARY KEY,
      models      TEXT,               -- JSON array of patterns; NULL for every model
      rpm         BIGINT CHECK (rpm > 0),
      tpm         BIGINT CHECK (tpm > 0),
      metadata    TEXT NOT NULL,      -- JSON object
      source      TEXT NOT NULL CHECK (source IN ('config', 'api')),
      created_at  BIGINT NOT NULL,    -- epoch ms
      updated_at  BIGINT NOT NULL,
      budgets     TEXT,               -- JSON array of budgets, at most one per period; NULL for none
      guardrails  TEXT                -- JSON object; NULL for none
    );
    CREATE TABLE api_keys (
      id                    TEXT PRIMARY KEY,  -- the public id of tg_<id>_<secret>
      tenant                TEXT NOT NULL REFERENCES tenants (name),
      name                  TEXT,
      models                TEXT,
      rpm                   BIGINT CHECK (rpm > 0),
      tpm                   BIGINT CHECK (tpm > 0),
      expires_at            BIGINT,
      metadata              TEXT NOT NULL,
      created_at            BIGINT NOT NULL,
      revoked_at            BIGINT,
      last_four             TEXT NOT NULL,
      secret_hash           TEXT NOT NULL,     -- SHA-256 hex; never the key
      previous_secret_hash  TEXT,
      previous_valid_until  BIGINT,
      budgets               TEXT,
      guardrails            TEXT
    );
    CREATE INDEX api_keys_tenant ON api_keys (tenant);
  `,
};

const OUTBOX_MIGRATION: PostgresMigration = {
  version: 3,
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
      created_at      BIGINT  NOT NULL,  -- epoch ms, when it was stored
      next_attempt_at BIGINT  NOT NULL,  -- epoch ms; meaningful while pending
      claimed_at      BIGINT,            -- epoch ms, when a worker took it for sending
      claimed_by      TEXT,              -- that worker's id
      finished_at     BIGINT,            -- epoch ms, delivered or given up
      last_error      TEXT,
      PRIMARY KEY (id, channel)
    );
    CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at);
  `,
};

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [TENANCY_MIGRATION, LEDGER_MIGRATION, OUTBOX_MIGRATION, ROLLUP_MIGRATION];

/** The schema version of this release. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * The usage ledger's tables in PostgreSQL: the same columns as the embedded
 * store's `usage` table (src/store/sqlite/migrations.ts), in PostgreSQL's
 * types. Times are epoch milliseconds (BIGINT) as in SQLite, so both stores
 * answer the same queries with the same numbers; `day` is the UTC day as
 * `YYYY-MM-DD` text, which sorts and compares as the day does.
 *
 * `row_id` is the one column the embedded store lacks: an id (in UUID form)
 * the ledger gives each row when it is appended. A write whose answer is lost (the
 * connection drops while the server commits) is sent again, and the unique
 * index turns the rows already committed into no-ops
 * (`ON CONFLICT (row_id) DO NOTHING`), so no row is counted twice.
 */
import type { PostgresMigration } from './migration.js';

export const LEDGER_MIGRATION: PostgresMigration = {
  version: 2,
  name: 'usage ledger',
  sql: `
    CREATE TABLE usage (
      id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      row_id            UUID             NOT NULL,  -- given by the writer; a write sent twice stores its rows once
      time              BIGINT           NOT NULL,  -- epoch ms, when the call finished
      day               TEXT             NOT NULL,  -- UTC day of time, YYYY-MM-DD
      request_id        TEXT             NOT NULL,
      tenant            TEXT             NOT NULL,
      key_id            TEXT,
      requested_model   TEXT,                       -- the model the client sent; NULL: route_model
      route_model       TEXT             NOT NULL,
      provider          TEXT,
      upstream_model    TEXT,
      prompt_tokens     INTEGER          NOT NULL CHECK (prompt_tokens >= 0),
      completion_tokens INTEGER          NOT NULL CHECK (completion_tokens >= 0),
      cached_tokens     INTEGER          NOT NULL CHECK (cached_tokens >= 0),
      reasoning_tokens  INTEGER          NOT NULL CHECK (reasoning_tokens >= 0),
      cost_usd          DOUBLE PRECISION NOT NULL CHECK (cost_usd >= 0),
      estimated         BOOLEAN          NOT NULL,
      status            TEXT             NOT NULL,
      http_status       INTEGER          NOT NULL,
      latency_ms        INTEGER          NOT NULL,
      ttft_ms           INTEGER
    );
    CREATE UNIQUE INDEX usage_row_id ON usage (row_id);
    CREATE INDEX usage_day_tenant ON usage (day, tenant);
    CREATE INDEX usage_time ON usage (time);
    CREATE INDEX usage_tenant_time ON usage (tenant, time);
    CREATE INDEX usage_key_time ON usage (key_id, time) WHERE key_id IS NOT NULL;
  `,
};

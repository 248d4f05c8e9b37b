/**
 * The hourly rollup of the usage ledger in PostgreSQL: the embedded store's
 * two tables (sqlite/migrations.ts, version 6; what they hold:
 * store/usage-rollup.ts) in PostgreSQL's types, filled from the rows already
 * written. The ledger's insert keeps them (usage-rows.ts).
 */
import { latencyBucketSql } from '../../metering/latency-histogram.js';
import type { PostgresMigration } from './migration.js';

export const ROLLUP_MIGRATION: PostgresMigration = {
  version: 4,
  name: 'hourly usage rollup',
  sql: `
    CREATE TABLE usage_hourly (
      hour              BIGINT           NOT NULL,  -- epoch ms of the UTC hour's start
      tenant            TEXT             NOT NULL,
      key_id            TEXT             NOT NULL,  -- '' for calls without a key
      route_model       TEXT             NOT NULL,
      requests          BIGINT           NOT NULL,
      errors            BIGINT           NOT NULL,  -- status not ok nor cancelled
      prompt_tokens     BIGINT           NOT NULL,
      completion_tokens BIGINT           NOT NULL,
      cached_tokens     BIGINT           NOT NULL,
      reasoning_tokens  BIGINT           NOT NULL,
      cost_usd          DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (hour, tenant, key_id, route_model)
    );
    CREATE TABLE usage_latency_hourly (
      hour        BIGINT  NOT NULL,
      tenant      TEXT    NOT NULL,
      route_model TEXT    NOT NULL,
      bucket      INTEGER NOT NULL,  -- see metering/latency-histogram.ts
      count       BIGINT  NOT NULL,
      PRIMARY KEY (hour, bucket, tenant, route_model)  -- a time series groups by hour and bucket
    );
    INSERT INTO usage_hourly
      SELECT time - time % 3600000, tenant, COALESCE(key_id, ''), route_model, COUNT(*),
             COUNT(*) FILTER (WHERE status NOT IN ('ok', 'cancelled')),
             SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(reasoning_tokens), SUM(cost_usd)
        FROM usage GROUP BY 1, 2, 3, 4;
    INSERT INTO usage_latency_hourly
      SELECT time - time % 3600000, tenant, route_model, ${latencyBucketSql('latency_ms')}, COUNT(*)
        FROM usage GROUP BY 1, 2, 3, 4;
  `,
};

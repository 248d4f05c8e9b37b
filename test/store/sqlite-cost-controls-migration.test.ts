/**
 * Migration 3 on a database written by a release that knew version 2: the
 * tenants and keys stay as they were and gain `budgets` and `guardrails`
 * columns, empty (none) until set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-migrate-3-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const columns = (db: ReturnType<typeof openSqlite>, table: string): string[] => db.prepare<[], string>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).pluck().all();

describe('migration 3: budgets and guardrails of tenants and keys', () => {
  it('keeps the rows of a version-2 file and adds the columns, NULL for every existing row', async () => {
    const path = join(dir, 'store.sqlite');
    const v2 = openSqlite(path, { migrations: MIGRATIONS.filter((m) => m.version <= 2) });
    v2.prepare(`INSERT INTO tenants (name, models, rpm, tpm, metadata, source, created_at, updated_at) VALUES ('team-a', '["gpt-*"]', 60, NULL, '{"owner":"ann"}', 'api', 1000, 2000)`).run();
    v2.prepare(
      `INSERT INTO api_keys (id, tenant, name, models, rpm, tpm, expires_at, metadata, created_at, revoked_at, last_four, secret_hash, previous_secret_hash, previous_valid_until)
       VALUES ('abcdefghijkl', 'team-a', 'ci', NULL, NULL, 500, NULL, '{}', 3000, NULL, 'wxyz', 'hash', NULL, NULL)`,
    ).run();
    expect(columns(v2, 'tenants')).not.toContain('budgets');
    v2.close();

    const migrated = openSqlite(path);
    expect(migrated.prepare<[], number>('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toContain(3);
    expect(columns(migrated, 'tenants').slice(-2)).toEqual(['budgets', 'guardrails']);
    expect(columns(migrated, 'api_keys').slice(-2)).toEqual(['budgets', 'guardrails']);
    expect(migrated.prepare('SELECT budgets, guardrails FROM tenants').all()).toEqual([{ budgets: null, guardrails: null }]);
    migrated.close();

    const store = SqliteTenancyStore.open(path);
    expect(await store.getTenant('team-a')).toEqual({ name: 'team-a', models: ['gpt-*'], rpm: 60, tpm: undefined, metadata: { owner: 'ann' }, source: 'api', createdAt: 1000, updatedAt: 2000, budgets: [], guardrails: undefined });
    expect(await store.getKey('abcdefghijkl')).toMatchObject({ tenant: 'team-a', name: 'ci', tpm: 500, lastFour: 'wxyz', budgets: [], guardrails: undefined });
    await store.close();
  });
});

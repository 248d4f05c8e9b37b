/**
 * The TenancyStore contract, run against every store kind: the embedded
 * SQLite file and PostgreSQL (a schema of its own per test). Both must
 * answer every case alike, so the admin API and authentication behave the
 * same whichever store a deployment configures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetConfig, GuardrailsConfig } from '../../src/config/types.js';
import { migrate } from '../../src/store/postgres/database.js';
import { PostgresTenancyStore } from '../../src/store/postgres/tenancy-store.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';
import { StoredSettingsError } from '../../src/tenancy/cost-controls.js';
import type { KeyRecord, TenancyStore, TenantRecord } from '../../src/tenancy/records.js';
import { TenancyConflictError } from '../../src/tenancy/records.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

/** A fresh, empty store; `raw` runs SQL on it as an operator's shell would. */
interface Fixture {
  readonly store: TenancyStore;
  /** Another connection (another replica) to the same store. */
  other(): TenancyStore;
  raw(sql: string): Promise<void>;
  close(): Promise<void>;
}

const backends: Array<{ readonly kind: string; open(): Promise<Fixture> }> = [
  {
    kind: 'sqlite',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-tenancy-'));
      const path = join(dir, 'store.sqlite');
      const opened: TenancyStore[] = [SqliteTenancyStore.open(path)];
      return Promise.resolve({
        store: opened[0]!,
        other: () => {
          const store = SqliteTenancyStore.open(path);
          opened.push(store);
          return store;
        },
        raw: (sql) => {
          const db = openSqlite(path);
          db.exec(sql);
          db.close();
          return Promise.resolve();
        },
        close: async () => {
          for (const store of opened) await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      });
    },
  },
  {
    kind: 'postgres',
    async open() {
      const schema: TestSchema = await createTestSchema();
      const pool = schema.pool();
      await migrate(pool);
      return {
        store: new PostgresTenancyStore(pool),
        other: () => new PostgresTenancyStore(schema.pool()),
        raw: async (sql) => {
          await pool.query(sql);
        },
        close: () => schema.drop(),
      };
    },
  },
];

const tenant = (name: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({
  name,
  models: ['gpt-*'],
  rpm: 10,
  tpm: undefined,
  metadata: { owner: 'x', nested: { list: [1, 'two'] } },
  source: 'api',
  createdAt: 1_754_000_000_123,
  updatedAt: 1_754_000_000_123,
  budgets: [],
  guardrails: undefined,
  ...extra,
});

const key = (id: string, tenantName: string, extra: Partial<KeyRecord> = {}): KeyRecord => ({
  id,
  tenant: tenantName,
  name: 'ci',
  models: undefined,
  rpm: undefined,
  tpm: 5_000,
  expiresAt: undefined,
  metadata: {},
  createdAt: 1_754_000_000_456,
  revokedAt: undefined,
  lastFour: 'abcd',
  secretHash: 'h1',
  previousSecretHash: undefined,
  previousValidUntil: undefined,
  budgets: [],
  guardrails: undefined,
  ...extra,
});

const month: BudgetConfig = { period: 'month', limitUsd: 500, soft: [0.5, 0.8], timeZone: 'Europe/Berlin', reset: { hour: 6, minute: 30 } };
const day: BudgetConfig = { period: 'day', limitUsd: 40.25, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } };
const guardrails: GuardrailsConfig = {
  clamp: { minOutputTokens: 256 },
  downgrade: [{ whenRemainingBelow: 0.2, from: 'gpt-5', to: 'gpt-5-mini' }, { whenRemainingBelow: 0.1, budget: 'day', from: 'gpt-5*', to: 'gpt-oss:20b' }],
  maxOutputTokens: 8000,
  maxPromptTokens: 100_000,
  chatRefusalStatus: 402,
};

describe.each(backends)('TenancyStore contract: $kind', (backend) => {
  let fx: Fixture;

  beforeEach(async () => {
    fx = await backend.open();
  });

  afterEach(async () => {
    await fx.close();
  });

  it('stores tenants and keys and reads them back as they were (epoch ms beyond 2^31 included)', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a'));
    expect(await store.getTenant('a')).toEqual(tenant('a'));
    expect(await store.getTenant('nobody')).toBeUndefined();
    expect(await store.hasKeys()).toBe(false);
    await store.insertKey(key('k1', 'a', { expiresAt: 1_900_000_000_000, rpm: 3_000_000_000 }));
    expect(await store.hasKeys()).toBe(true);
    expect(await store.getKey('k1')).toEqual(key('k1', 'a', { expiresAt: 1_900_000_000_000, rpm: 3_000_000_000 }));
    expect(await store.getKey('nobody')).toBeUndefined();
  });

  it('a taken tenant name or key id is a TenancyConflictError, and the first stays as it was', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a'));
    await expect(store.insertTenant(tenant('a', { rpm: 99 }))).rejects.toBeInstanceOf(TenancyConflictError);
    await expect(fx.other().insertTenant(tenant('a', { rpm: 99 }))).rejects.toThrow("a tenant named 'a' already exists");
    await store.insertKey(key('k1', 'a'));
    await expect(store.insertKey(key('k1', 'a', { secretHash: 'other' }))).rejects.toThrow(TenancyConflictError);
    expect((await store.getTenant('a'))?.rpm).toBe(10);
    expect((await store.getKey('k1'))?.secretHash).toBe('h1');
  });

  it('lists tenants by name and keys by creation then id, byte order, filtered by tenant', async () => {
    const { store } = fx;
    for (const name of ['b', 'B', 'a', 'a-1']) await store.insertTenant(tenant(name));
    expect((await store.listTenants()).map((t) => t.name)).toEqual(['B', 'a', 'a-1', 'b']);
    await store.insertKey(key('k3', 'a', { createdAt: 5 }));
    await store.insertKey(key('K2', 'b', { createdAt: 5 }));
    await store.insertKey(key('k1', 'a', { createdAt: 9 }));
    expect((await store.listKeys({})).map((k) => k.id)).toEqual(['K2', 'k3', 'k1']);
    expect((await store.listKeys({ tenant: 'a' })).map((k) => k.id)).toEqual(['k3', 'k1']);
    expect(await store.listKeys({ tenant: 'nobody' })).toEqual([]);
  });

  it('upserts a configured tenant: inserted, then replaced but for its creation time', async () => {
    const { store } = fx;
    await store.upsertTenant(tenant('c', { source: 'config', createdAt: 1, updatedAt: 1 }));
    await store.upsertTenant(tenant('c', { source: 'config', rpm: 7, models: undefined, createdAt: 50, updatedAt: 50, metadata: {} }));
    expect(await store.getTenant('c')).toEqual(tenant('c', { source: 'config', rpm: 7, models: undefined, createdAt: 1, updatedAt: 50, metadata: {} }));
  });

  it('updates only what is given; null clears a setting; an unknown tenant is undefined', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a'));
    const updated = await store.updateTenant('a', { rpm: null, tpm: 100 }, 9);
    expect(updated).toEqual(tenant('a', { rpm: undefined, tpm: 100, updatedAt: 9 }));
    expect(await store.getTenant('a')).toEqual(updated);
    expect(await store.updateTenant('a', { models: null, metadata: { k: 'v' } }, 10)).toEqual(tenant('a', { rpm: undefined, tpm: 100, models: undefined, metadata: { k: 'v' }, updatedAt: 10 }));
    expect(await store.updateTenant('nobody', { rpm: 1 }, 9)).toBeUndefined();
  });

  it('revokes once (the first time stands) and rotates, keeping the previous secret until its deadline', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a'));
    await store.insertKey(key('k1', 'a'));
    const rotated = await store.rotateKey('k1', { hash: 'h2', lastFour: 'wxyz' }, 1_754_000_900_000);
    expect(rotated).toEqual(key('k1', 'a', { secretHash: 'h2', lastFour: 'wxyz', previousSecretHash: 'h1', previousValidUntil: 1_754_000_900_000 }));
    expect((await store.revokeKey('k1', 10))?.revokedAt).toBe(10);
    expect((await fx.other().revokeKey('k1', 20))?.revokedAt).toBe(10);
    // A revoked key is not rotated back to life.
    expect((await store.rotateKey('k1', { hash: 'h3', lastFour: 'zzzz' }, 900))?.secretHash).toBe('h2');
    expect(await store.revokeKey('nobody', 1)).toBeUndefined();
    expect(await store.rotateKey('nobody', { hash: 'h', lastFour: 'x' }, 1)).toBeUndefined();
  });

  it('changes a key: only the fields given; null clears; no change at all reads it back; an unknown key is undefined', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a'));
    await store.insertKey(key('k1', 'a', { budgets: [month] }));
    const changed = await store.updateKey('k1', { name: 'laptop', models: ['gpt-5'], rpm: 5, tpm: null, expiresAt: 9_000, metadata: { team: 'x' }, guardrails: { maxPromptTokens: 10 } });
    expect(changed).toEqual(key('k1', 'a', { name: 'laptop', models: ['gpt-5'], rpm: 5, tpm: undefined, expiresAt: 9_000, metadata: { team: 'x' }, budgets: [month], guardrails: { maxPromptTokens: 10 } }));
    expect(await store.updateKey('k1', {})).toEqual(changed);
    expect(await store.updateKey('k1', { name: null, models: null, expiresAt: null, budgets: [], guardrails: null })).toMatchObject({
      name: undefined,
      models: undefined,
      expiresAt: undefined,
      budgets: [],
      guardrails: undefined,
      rpm: 5,
    });
    expect(await store.updateKey('nobody', { rpm: 1 })).toBeUndefined();
  });

  it('keeps budgets and guardrails of tenants and keys and reads them back as they were', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a', { budgets: [month, day], guardrails }));
    await store.insertKey(key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } }));
    expect(await store.getTenant('a')).toEqual(tenant('a', { budgets: [month, day], guardrails }));
    expect(await fx.other().getKey('k1')).toEqual(key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } }));
    expect(await store.listKeys({})).toEqual([key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } })]);
    expect(await store.updateTenant('a', { budgets: [day] }, 5)).toEqual(tenant('a', { budgets: [day], guardrails, updatedAt: 5 }));
    expect(await store.updateTenant('a', { budgets: null, guardrails: null }, 6)).toEqual(tenant('a', { updatedAt: 6 }));
  });

  it('stores budgets as the same JSON text in both stores', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a', { budgets: [day], guardrails: { clamp: { minOutputTokens: 256 }, maxOutputTokens: 8000 } }));
    await fx.raw(`INSERT INTO tenants (name, models, rpm, tpm, metadata, source, created_at, updated_at, budgets, guardrails)
      VALUES ('hand', NULL, NULL, NULL, '{}', 'api', 1, 1, '[{"period":"day","limit_usd":40.25,"soft":[],"timezone":"UTC","reset_at":"00:00"}]', '{"clamp":{"min_output_tokens":256},"max_output_tokens":8000}')`);
    const [byHand, byStore] = [await store.getTenant('hand'), await store.getTenant('a')];
    expect(byHand?.budgets).toEqual(byStore?.budgets);
    expect(byHand?.guardrails).toEqual(byStore?.guardrails);
  });

  it('fails a read of a corrupt stored value loudly, naming the row; a change of that column repairs it', async () => {
    const { store } = fx;
    await store.insertTenant(tenant('a', { budgets: [month] }));
    await store.insertKey(key('k1', 'a'));
    await fx.raw(`UPDATE tenants SET budgets = '[{"period":"week","limit_usd":-1}]' WHERE name = 'a'`);
    await fx.raw(`UPDATE api_keys SET guardrails = '{not json' WHERE id = 'k1'`);
    await expect(store.getTenant('a')).rejects.toBeInstanceOf(StoredSettingsError);
    await expect(store.listTenants()).rejects.toThrow(/stored budgets of tenant 'a' \(tenants\.budgets\) cannot be read/);
    await expect(store.getKey('k1')).rejects.toThrow(/stored guardrails of key 'k1' \(api_keys\.guardrails\) cannot be read: not JSON/);
    expect((await store.updateTenant('a', { budgets: null }, 7))?.budgets).toEqual([]);
    expect((await store.updateKey('k1', { guardrails: null }))?.guardrails).toBeUndefined();
  });
});

describe('PostgresTenancyStore', () => {
  it('refuses a BIGINT past 2^53 rather than rounding it', async () => {
    const schema = await createTestSchema();
    try {
      const pool: pg.Pool = schema.pool();
      await migrate(pool);
      const store = new PostgresTenancyStore(pool);
      await store.insertTenant(tenant('a'));
      await pool.query(`UPDATE tenants SET created_at = 9007199254740993 WHERE name = 'a'`);
      await expect(store.getTenant('a')).rejects.toThrow('expected an integer within ±2^53 from the database, got 9007199254740993');
    } finally {
      await schema.drop();
    }
  });
});

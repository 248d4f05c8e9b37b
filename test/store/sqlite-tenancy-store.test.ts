import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BudgetConfig, GuardrailsConfig } from '../../src/config/types.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';
import { StoredSettingsError } from '../../src/tenancy/cost-controls.js';
import type { KeyRecord, TenantRecord } from '../../src/tenancy/records.js';
import { TenancyConflictError } from '../../src/tenancy/records.js';

const tenant = (name: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({
  name,
  models: ['gpt-*'],
  rpm: 10,
  tpm: undefined,
  metadata: { owner: 'x' },
  source: 'api',
  createdAt: 1,
  updatedAt: 1,
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
  createdAt: 2,
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
const day: BudgetConfig = { period: 'day', limitUsd: 40, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } };
const guardrails: GuardrailsConfig = {
  clamp: { minOutputTokens: 256 },
  downgrade: [{ whenRemainingBelow: 0.2, from: 'gpt-5', to: 'gpt-5-mini' }, { whenRemainingBelow: 0.1, budget: 'day', from: 'gpt-5*', to: 'gpt-oss:20b' }],
  maxOutputTokens: 8000,
  maxPromptTokens: 100_000,
  chatRefusalStatus: 402,
};

describe('SqliteTenancyStore', () => {
  it('stores tenants and keys and reads them back as they were', async () => {
    const store = SqliteTenancyStore.open(':memory:');
    await store.insertTenant(tenant('a'));
    await expect(store.insertTenant(tenant('a'))).rejects.toBeInstanceOf(TenancyConflictError);
    expect(await store.getTenant('a')).toEqual(tenant('a'));
    expect(await store.hasKeys()).toBe(false);
    await store.insertKey(key('k1', 'a'));
    expect(await store.hasKeys()).toBe(true);
    expect(await store.getKey('k1')).toEqual(key('k1', 'a'));
    expect(await store.listKeys({ tenant: 'a' })).toHaveLength(1);
    expect(await store.listKeys({ tenant: 'b' })).toHaveLength(0);
    await store.close();
  });

  it('updates only what is given; null clears a setting', async () => {
    const store = SqliteTenancyStore.open(':memory:');
    await store.insertTenant(tenant('a'));
    const updated = await store.updateTenant('a', { rpm: null, tpm: 100 }, 9);
    expect(updated).toEqual(tenant('a', { rpm: undefined, tpm: 100, updatedAt: 9 }));
    expect(await store.getTenant('a')).toEqual(updated);
    expect(await store.updateTenant('nobody', { rpm: 1 }, 9)).toBeUndefined();
    await store.close();
  });

  it('revokes once (the first time stands) and rotates, keeping the previous secret until its deadline', async () => {
    const store = SqliteTenancyStore.open(':memory:');
    await store.insertTenant(tenant('a'));
    await store.insertKey(key('k1', 'a'));
    const rotated = await store.rotateKey('k1', { hash: 'h2', lastFour: 'wxyz' }, 500);
    expect(rotated).toMatchObject({ secretHash: 'h2', lastFour: 'wxyz', previousSecretHash: 'h1', previousValidUntil: 500 });
    expect((await store.revokeKey('k1', 10))?.revokedAt).toBe(10);
    expect((await store.revokeKey('k1', 20))?.revokedAt).toBe(10);
    // A revoked key is not rotated back to life.
    expect((await store.rotateKey('k1', { hash: 'h3', lastFour: 'zzzz' }, 900))?.secretHash).toBe('h2');
    await store.close();
  });

  it('keeps budgets and guardrails of tenants and keys, in their written form, and reads them back as they were', async () => {
    const store = SqliteTenancyStore.open(':memory:');
    await store.insertTenant(tenant('a', { budgets: [month, day], guardrails }));
    await store.insertKey(key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } }));
    expect(await store.getTenant('a')).toEqual(tenant('a', { budgets: [month, day], guardrails }));
    expect(await store.getKey('k1')).toEqual(key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } }));
    expect(await store.listKeys({})).toEqual([key('k1', 'a', { budgets: [day], guardrails: { maxOutputTokens: 100 } })]);
    await store.upsertTenant(tenant('c', { source: 'config', budgets: [day] }));
    await store.upsertTenant(tenant('c', { source: 'config', budgets: [month], guardrails }));
    expect(await store.getTenant('c')).toMatchObject({ budgets: [month], guardrails });
    await store.close();
  });

  it('changes and clears budgets and guardrails of a tenant and of a key; other settings stay', async () => {
    const store = SqliteTenancyStore.open(':memory:');
    await store.insertTenant(tenant('a', { budgets: [month], guardrails }));
    expect(await store.updateTenant('a', { budgets: [day] }, 5)).toEqual(tenant('a', { budgets: [day], guardrails, updatedAt: 5 }));
    expect(await store.updateTenant('a', { budgets: null, guardrails: null }, 6)).toEqual(tenant('a', { updatedAt: 6 }));
    await store.insertKey(key('k1', 'a', { budgets: [month] }));
    const changed = await store.updateKey('k1', { name: 'laptop', models: ['gpt-5'], rpm: 5, tpm: null, expiresAt: 9_000, metadata: { team: 'x' }, guardrails: { maxPromptTokens: 10 } });
    expect(changed).toEqual(key('k1', 'a', { name: 'laptop', models: ['gpt-5'], rpm: 5, tpm: undefined, expiresAt: 9_000, metadata: { team: 'x' }, budgets: [month], guardrails: { maxPromptTokens: 10 } }));
    expect(await store.updateKey('k1', { name: null, models: null, expiresAt: null, budgets: [], guardrails: null })).toMatchObject({ name: undefined, models: undefined, expiresAt: undefined, budgets: [], guardrails: undefined, rpm: 5 });
    expect(await store.updateKey('nobody', { rpm: 1 })).toBeUndefined();
    await store.close();
  });

  it('fails a read of a corrupt stored value loudly, naming the row; a change of that column repairs it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tollgate-corrupt-')), 'store.sqlite');
    const store = SqliteTenancyStore.open(path);
    await store.insertTenant(tenant('a', { budgets: [month] }));
    await store.insertKey(key('k1', 'a'));
    // Written by hand, as an operator with the sqlite3 shell might.
    const raw = openSqlite(path);
    raw.prepare(`UPDATE tenants SET budgets = '[{"period":"week","limit_usd":-1}]' WHERE name = 'a'`).run();
    raw.prepare(`UPDATE api_keys SET guardrails = '{not json' WHERE id = 'k1'`).run();
    raw.close();
    const tenantRead = store.getTenant('a');
    await expect(tenantRead).rejects.toBeInstanceOf(StoredSettingsError);
    await expect(store.getTenant('a')).rejects.toThrow(/stored budgets of tenant 'a' \(tenants\.budgets\) cannot be read: 0\.period: expected 'day' or 'month'; 0\.limit_usd: expected an amount in USD above 0/);
    await expect(store.getKey('k1')).rejects.toThrow(/stored guardrails of key 'k1' \(api_keys\.guardrails\) cannot be read: not JSON\. An administrator must set them again \(`tollgate keys update k1 --no-guardrails`/);
    expect((await store.updateTenant('a', { budgets: null }, 7))?.budgets).toEqual([]);
    expect((await store.updateKey('k1', { guardrails: null }))?.guardrails).toBeUndefined();
    await store.close();
  });
});

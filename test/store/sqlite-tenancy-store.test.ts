import { describe, expect, it } from 'vitest';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';
import type { KeyRecord, TenantRecord } from '../../src/tenancy/records.js';
import { TenancyConflictError } from '../../src/tenancy/records.js';

const tenant = (name: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({ name, models: ['gpt-*'], rpm: 10, tpm: undefined, metadata: { owner: 'x' }, source: 'api', createdAt: 1, updatedAt: 1, ...extra });
const key = (id: string, tenantName: string): KeyRecord => ({
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
});

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
});

/**
 * The key cache while its store cannot be read (the real SQLite store,
 * closed): a key read recently is still answered, for `staleIfErrorMs`; a key
 * not seen, seen too long ago, or changed since, is refused with a 503 that
 * says the store is out — never a 401 that blames the key, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { KeyStoreUnavailableError } from '../../src/errors/index.js';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';
import { KeyDirectory } from '../../src/tenancy/key-directory.js';
import { Tenancy } from '../../src/tenancy/tenancy.js';
import { parseKey } from '../../src/tenancy/virtual-key.js';

async function setUp(): Promise<{ store: SqliteTenancyStore; directory: KeyDirectory; ids: string[]; clock: { now: number } }> {
  const store = SqliteTenancyStore.open(':memory:');
  const tenancy = await Tenancy.open({ store, auth: { adminToken: undefined, anonymousTenant: undefined, trustedProxy: undefined }, tenants: [] });
  await tenancy.createTenant({ name: 'team' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(parseKey((await tenancy.createKey({ tenant: 'team' })).key)!.publicId);
  tenancy.close();
  const clock = { now: 1_000_000 };
  const directory = new KeyDirectory(store, { positiveTtlMs: 10_000, staleIfErrorMs: 60_000, now: () => clock.now });
  return { store, directory, ids, clock };
}

describe('the key cache during a store outage', () => {
  it('answers a recently read key from memory, then refuses with key_store_unavailable', async () => {
    const { store, directory, ids, clock } = await setUp();
    const [seen, changed, never] = ids as [string, string, string];
    expect((await directory.load(seen))?.key.id).toBe(seen);
    expect((await directory.load(changed))?.key.id).toBe(changed);
    await store.close();

    clock.now += 20_000;
    // Expired, so the request path goes to the store, which fails: the entry read 20 s ago answers.
    expect(directory.cached(seen)).toBeUndefined();
    expect((await directory.load(seen))?.key.id).toBe(seen);
    // A change announced meanwhile removes the entry: it is not trusted from memory any more.
    directory.invalidate(changed);
    await expect(directory.load(changed)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    // Never read: nothing to answer with.
    await expect(directory.load(never)).rejects.toMatchObject({ status: 503, code: 'key_store_unavailable' });
    // Read too long ago.
    clock.now += 60_000;
    await expect(directory.load(seen)).rejects.toMatchObject({ status: 503, code: 'key_store_unavailable' });
  });
});

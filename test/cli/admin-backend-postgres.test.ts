/**
 * The CLI's tenant and key commands on a PostgreSQL store (without --url):
 * the store is opened (and migrated) from the configuration, changes land in
 * the database a running gateway reads, and closing releases the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBackend } from '../../src/cli/admin-backend.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { config, model, provider } from '../helpers/gateway.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(async () => {
  await schema.drop();
});

function pgConfig(): GatewayConfig {
  const base = config([provider({ name: 'sim', kind: 'mock' })], [model('demo', ['sim/demo'])]);
  return { ...base, store: schema.store(), tenants: [{ name: 'from-config', models: undefined, rpm: 5, tpm: undefined, metadata: {} }] };
}

describe('the admin commands on a PostgreSQL store', () => {
  it('creates and lists tenants and keys in the database; a second run sees them', async () => {
    const first = await storeBackend(pgConfig());
    try {
      await first.createTenant({ name: 'team-cli', rpm: 10 });
      const key = await first.createKey({ tenant: 'team-cli', name: 'ci' });
      expect(key['key']).toEqual(expect.stringMatching(/^tg_/) as unknown);
      await first.revokeKey(String(key['id']));
    } finally {
      await first.close();
    }
    const second = await storeBackend(pgConfig());
    try {
      expect((await second.listTenants()).map((t) => t['name'])).toEqual(['from-config', 'team-cli']);
      const [listed] = await second.listKeys('team-cli');
      expect(listed).toMatchObject({ tenant: 'team-cli', name: 'ci' });
      expect(typeof listed?.['revoked_at']).toBe('number');
    } finally {
      await second.close();
    }
  });

  it('says why, naming the database with its password masked, when it cannot reach it', async () => {
    const cfg = pgConfig();
    const opening = storeBackend({ ...cfg, store: { ...schema.store(), url: 'postgres://tollgate:pw-not-shown@127.0.0.1:1/x', connectTimeoutMs: 500 } });
    await expect(opening).rejects.toThrow(/^cannot open the PostgreSQL store at postgres:\/\/tollgate:\*\*\*@127\.0\.0\.1:1\/x: /);
  });
});

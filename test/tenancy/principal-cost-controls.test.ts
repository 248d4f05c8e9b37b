/**
 * The principal of a key carries its budgets and guardrails, then its
 * tenant's; it is one object per cached entry (no allocation per request),
 * its budget refs stay the same objects across cache reloads, and a change
 * is seen on the next request (through this process) or within the cache
 * time (written to the store by another process, as the CLI does).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthConfig, BudgetConfig, TenantConfig } from '../../src/config/types.js';
import type { Principal } from '../../src/pipeline/contracts.js';
import { SqliteTenancyStore } from '../../src/store/sqlite/tenancy-store.js';
import { Tenancy } from '../../src/tenancy/tenancy.js';

const month: BudgetConfig = { period: 'month', limitUsd: 500, soft: [0.8], timeZone: 'UTC', reset: { hour: 0, minute: 0 } };
const day: BudgetConfig = { period: 'day', limitUsd: 40, soft: [], timeZone: 'Europe/Berlin', reset: { hour: 6, minute: 0 } };
const keyDay: BudgetConfig = { ...day, limitUsd: 5 };
const AUTH: AuthConfig = { adminToken: undefined, anonymousTenant: undefined, trustedProxy: { secret: 'proxy-secret-0123456789' } };
const TEAM: TenantConfig = { name: 'team-a', models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [month, day], guardrails: { maxOutputTokens: 8000 } };

const opened: Array<{ tenancy: Tenancy; store: SqliteTenancyStore }> = [];
afterEach(async () => {
  for (const { tenancy, store } of opened.splice(0)) {
    tenancy.close();
    await store.close();
  }
});

async function open(path: string, clock: { now: number }, tenants: readonly TenantConfig[] = [TEAM], auth: AuthConfig = AUTH): Promise<Tenancy> {
  const store = SqliteTenancyStore.open(path);
  const tenancy = await Tenancy.open({ store, auth, tenants, now: () => clock.now, refreshMs: 0, cache: { positiveTtlMs: 10_000 } });
  opened.push({ tenancy, store });
  return tenancy;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const storePath = (): string => join(mkdtempSync(join(tmpdir(), 'tollgate-principal-')), 'store.sqlite');

describe('the principal of a key', () => {
  it('carries the key’s budgets, then the tenant’s, and the guardrails in the same order', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock);
    const { record, key } = await tenancy.createKey({ tenant: 'team-a', budgets: [keyDay], guardrails: { maxPromptTokens: 1000, clamp: { minOutputTokens: 64 } } });
    const principal = await tenancy.authenticator.authenticate(bearer(key));
    expect(principal.budgets.map((b) => b.id)).toEqual([`key:${record.id}:day`, 'tenant:team-a:month', 'tenant:team-a:day']);
    expect(principal.budgets[0]).toEqual({ id: `key:${record.id}:day`, scope: 'key', owner: record.id, tenant: 'team-a', config: keyDay });
    expect(principal.budgets[1]).toEqual({ id: 'tenant:team-a:month', scope: 'tenant', owner: 'team-a', tenant: 'team-a', config: month });
    expect(principal.guardrails).toEqual([{ maxPromptTokens: 1000, clamp: { minOutputTokens: 64 } }, { maxOutputTokens: 8000 }]);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('has none for a key and tenant without any, and only the tenant’s for a key without its own', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const plain: TenantConfig = { name: 'plain', models: undefined, rpm: undefined, tpm: undefined, metadata: {} };
    const tenancy = await open(':memory:', clock, [TEAM, plain]);
    const none = await tenancy.authenticator.authenticate(bearer((await tenancy.createKey({ tenant: 'plain' })).key));
    expect(none).toMatchObject({ budgets: [], guardrails: [] });
    const inherited = await tenancy.authenticator.authenticate(bearer((await tenancy.createKey({ tenant: 'team-a' })).key));
    expect(inherited.budgets.map((b) => b.id)).toEqual(['tenant:team-a:month', 'tenant:team-a:day']);
    expect(inherited.guardrails).toEqual([{ maxOutputTokens: 8000 }]);
  });

  it('is the same object on every request while cached; its budget refs stay the same objects across a reload', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock);
    const { key } = await tenancy.createKey({ tenant: 'team-a', budgets: [keyDay] });
    const first = await tenancy.authenticator.authenticate(bearer(key));
    // A cache hit answers synchronously, with the very same principal.
    const second = tenancy.authenticator.authenticate(bearer(key)) as Principal;
    expect(second).toBe(first);
    clock.now += 11_000;
    const reloaded = await tenancy.authenticator.authenticate(bearer(key));
    expect(reloaded).not.toBe(first);
    expect(reloaded.budgets).toHaveLength(3);
    reloaded.budgets.forEach((ref, i) => expect(ref).toBe(first.budgets[i]));
  });

  it('changes on the next request after a change made through this process', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock, [TEAM, { name: 'team-b', models: undefined, rpm: undefined, tpm: undefined, metadata: {} }]);
    const { record, key } = await tenancy.createKey({ tenant: 'team-a' });
    const before = await tenancy.authenticator.authenticate(bearer(key));
    await tenancy.updateKey(record.id, { budgets: [keyDay], guardrails: { maxOutputTokens: 10 } });
    const after = await tenancy.authenticator.authenticate(bearer(key));
    expect(after.budgets.map((b) => b.id)).toEqual([`key:${record.id}:day`, 'tenant:team-a:month', 'tenant:team-a:day']);
    expect(after.guardrails[0]).toEqual({ maxOutputTokens: 10 });
    // The tenant's refs did not change: the same objects as before.
    expect(after.budgets[1]).toBe(before.budgets[0]);
    await tenancy.updateKey(record.id, { budgets: null, guardrails: null });
    expect((await tenancy.authenticator.authenticate(bearer(key))).budgets.map((b) => b.id)).toEqual(['tenant:team-a:month', 'tenant:team-a:day']);
  });

  it('follows a tenant changed through this process, for keys and for a trusted proxy naming the tenant', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock);
    await tenancy.createTenant({ name: 'team-api', budgets: [month] });
    const { key } = await tenancy.createKey({ tenant: 'team-api' });
    const proxied = { 'x-tollgate-proxy-secret': 'proxy-secret-0123456789', 'x-tollgate-tenant': 'team-api' };
    const viaProxy = await tenancy.authenticator.authenticate(proxied);
    expect(viaProxy.budgets.map((b) => b.id)).toEqual(['tenant:team-api:month']);
    expect(await tenancy.authenticator.authenticate(proxied)).toBe(viaProxy);
    await tenancy.updateTenant('team-api', { budgets: [day], guardrails: { maxPromptTokens: 5 } });
    expect((await tenancy.authenticator.authenticate(bearer(key))).budgets.map((b) => b.config)).toEqual([day]);
    const changed = await tenancy.authenticator.authenticate(proxied);
    expect(changed.budgets.map((b) => b.config)).toEqual([day]);
    expect(changed.guardrails).toEqual([{ maxPromptTokens: 5 }]);
  });

  it('follows a change written to the store by another process within the cache time', async () => {
    const path = storePath();
    const clock = { now: Date.UTC(2026, 11, 5) };
    const gateway = await open(path, clock);
    const cli = await open(path, clock);
    const { record, key } = await cli.createKey({ tenant: 'team-a' });
    expect((await gateway.authenticator.authenticate(bearer(key))).budgets).toHaveLength(2);
    await cli.updateKey(record.id, { budgets: [keyDay] });
    // Still the cached entry: the other process's change is not seen yet …
    expect((await gateway.authenticator.authenticate(bearer(key))).budgets).toHaveLength(2);
    clock.now += 10_001;
    // … and is once the entry expires.
    expect((await gateway.authenticator.authenticate(bearer(key))).budgets.map((b) => b.id)).toEqual([`key:${record.id}:day`, 'tenant:team-a:month', 'tenant:team-a:day']);
  });

  it('gives anonymous callers the anonymous tenant’s budgets and guardrails', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock, [TEAM], { ...AUTH, anonymousTenant: 'team-a' });
    const anonymous = await tenancy.authenticator.authenticate({});
    expect(anonymous).toMatchObject({ tenant: 'team-a', keyId: undefined, guardrails: [{ maxOutputTokens: 8000 }] });
    expect(anonymous.budgets.map((b) => b.id)).toEqual(['tenant:team-a:month', 'tenant:team-a:day']);
    expect(await tenancy.authenticator.authenticate({})).toBe(anonymous);
  });

  it('refuses a change to a revoked key (409) and to an unknown one (404)', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const tenancy = await open(':memory:', clock);
    const { record } = await tenancy.createKey({ tenant: 'team-a' });
    await tenancy.revokeKey(record.id);
    await expect(tenancy.updateKey(record.id, { rpm: 1 })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    await expect(tenancy.updateKey('nobodyatall1', { rpm: 1 })).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

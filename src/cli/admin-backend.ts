/**
 * Where the CLI's tenant, key and usage commands act: the configured store
 * directly (the gateway need not run; running replicas hear of each change at
 * once through Redis when it is configured, else within their key cache's
 * lifetime, a revocation included), or a running gateway's admin
 * API (`--url`, with the admin token), which applies changes at once. Both
 * answer with the admin API's JSON objects.
 */
import type { GatewayConfig } from '../config/types.js';
import type { BillingReport } from '../reports/billing-report.js';
import { readBillingReport } from '../reports/read-report.js';
import type { ReportRequest } from '../reports/report-request.js';
import type { UsageLedger } from '../metering/usage-ledger.js';
import { openStore, type OpenStoreOptions, type Store } from '../store/open-store.js';
import type { TenancyStore } from '../tenancy/records.js';
import { parseKeyChanges, parseNewKey, parseNewTenant, parseRotation, parseTenantChanges, parseUsageQuery } from '../tenancy/admin-input.js';
import type { TenancyChange } from '../tenancy/changes.js';
import { Tenancy } from '../tenancy/tenancy.js';
import { keyView, tenantView, usageView } from '../tenancy/views.js';

export type JsonValue = Record<string, unknown>;

export interface AdminBackend {
  createTenant(input: JsonValue): Promise<JsonValue>;
  listTenants(): Promise<JsonValue[]>;
  getTenant(name: string): Promise<JsonValue>;
  updateTenant(name: string, input: JsonValue): Promise<JsonValue>;
  createKey(input: JsonValue): Promise<JsonValue>;
  listKeys(tenant: string | undefined): Promise<JsonValue[]>;
  getKey(id: string): Promise<JsonValue>;
  updateKey(id: string, input: JsonValue): Promise<JsonValue>;
  revokeKey(id: string): Promise<JsonValue>;
  rotateKey(id: string, input: JsonValue): Promise<JsonValue>;
  usage(query: Record<string, string>): Promise<JsonValue[]>;
  /** A billing report; `request` has been checked. */
  report(request: ReportRequest): Promise<BillingReport>;
  close(): Promise<void>;
}

/** A failure to show the user as it is (the gateway's or the input's own words). */
export class AdminCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminCommandError';
  }
}

const asJson = (value: object): JsonValue => value as JsonValue;

async function openTenancy(opened: Store, config: GatewayConfig, onChange: ((change: TenancyChange) => void) | undefined): Promise<{ store: TenancyStore; tenancy: Tenancy }> {
  const store = opened.openTenancy();
  try {
    return { store, tenancy: await Tenancy.open({ store, auth: config.auth, tenants: config.tenants, refreshMs: 0, ...(onChange === undefined ? {} : { onChange }) }) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * `notice` shows the user what did not go as it should without failing the
 * command (a change the running replicas could not be told of).
 */
export async function storeBackend(config: GatewayConfig, options: OpenStoreOptions = {}, notice: (text: string) => void = () => undefined): Promise<AdminBackend> {
  const opened = await openStore(config.store, options);
  // With Redis, running replicas hear of each change at once, as they do of the admin API's (ioredis loaded only then).
  const publisher =
    config.redis === undefined
      ? undefined
      : new (await import('../store/redis/change-publisher.js')).ChangePublisher(config.redis, (error, change) =>
          notice(
            `The change was made, but the running gateways could not be told through Redis (${error instanceof Error ? error.message : String(error)}); they see it when their cached ${change.kind === 'key' ? 'key' : 'tenant'} expires (about 10 s).`,
          ),
        );
  const { store: tenancyStore, tenancy } = await openTenancy(opened, config, publisher && ((change) => publisher.publish(change))).catch(async (error: unknown) => {
    // The pool must not keep the process alive.
    await publisher?.close();
    await opened.close();
    throw error;
  });
  let ledger: UsageLedger | undefined;
  return {
    createTenant: async (input) => asJson(tenantView(await tenancy.createTenant(parseNewTenant(input)))),
    listTenants: async () => (await tenancy.listTenants()).map((t) => asJson(tenantView(t))),
    getTenant: async (name) => asJson(tenantView(await tenancy.getTenant(name))),
    updateTenant: async (name, input) => asJson(tenantView(await tenancy.updateTenant(name, parseTenantChanges(input)))),
    createKey: async (input) => {
      const issued = await tenancy.createKey(parseNewKey(input));
      return { ...keyView(issued.record), key: issued.key };
    },
    listKeys: async (tenant) => (await tenancy.listKeys(tenant)).map((k) => asJson(keyView(k))),
    getKey: async (id) => asJson(keyView(await tenancy.getKey(id))),
    updateKey: async (id, input) => asJson(keyView(await tenancy.updateKey(id, parseKeyChanges(input)))),
    revokeKey: async (id) => asJson(keyView(await tenancy.revokeKey(id))),
    rotateKey: async (id, input) => {
      const issued = await tenancy.rotateKey(id, parseRotation(input));
      return { ...keyView(issued.record), key: issued.key };
    },
    usage: async (query) => {
      ledger ??= opened.openLedger({});
      return (await ledger.usage(parseUsageQuery(query))).map((g) => asJson(usageView(g)));
    },
    report: async (request) => {
      ledger ??= opened.openLedger({});
      return await readBillingReport(ledger, request, Date.now());
    },
    close: async () => {
      await publisher?.close();
      tenancy.close();
      await tenancyStore.close();
      await ledger?.close();
      await opened.close();
    },
  };
}

export function httpBackend(baseUrl: string, token: string | undefined): AdminBackend {
  if (token === undefined || token === '') throw new AdminCommandError('--url needs the admin token in TOLLGATE_ADMIN_TOKEN (the value of auth.admin_token).');
  const root = `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/admin/v1`;
  async function call(method: string, path: string, body?: JsonValue): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new AdminCommandError(`cannot reach the gateway at ${baseUrl}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AdminCommandError(`the gateway at ${baseUrl} answered HTTP ${response.status} with something other than JSON: is it a Tollgate?`);
    }
    if (!response.ok) {
      const message = (parsed as { error?: { message?: unknown } }).error?.message;
      throw new AdminCommandError(typeof message === 'string' ? message : `the gateway answered HTTP ${response.status}`);
    }
    return parsed;
  }
  const list = async (path: string): Promise<JsonValue[]> => ((await call('GET', path)) as { data: JsonValue[] }).data;
  const one = async (method: string, path: string, body?: JsonValue): Promise<JsonValue> => (await call(method, path, body)) as JsonValue;
  const segment = encodeURIComponent;
  return {
    createTenant: (input) => one('POST', '/tenants', input),
    listTenants: () => list('/tenants'),
    getTenant: (name) => one('GET', `/tenants/${segment(name)}`),
    updateTenant: (name, input) => one('PATCH', `/tenants/${segment(name)}`, input),
    createKey: (input) => one('POST', '/keys', input),
    listKeys: (tenant) => list(tenant === undefined ? '/keys' : `/keys?tenant=${segment(tenant)}`),
    getKey: (id) => one('GET', `/keys/${segment(id)}`),
    updateKey: (id, input) => one('PATCH', `/keys/${segment(id)}`, input),
    revokeKey: (id) => one('POST', `/keys/${segment(id)}/revoke`),
    rotateKey: (id, input) => one('POST', `/keys/${segment(id)}/rotate`, input),
    usage: (query) => list(`/usage?${new URLSearchParams(query).toString()}`),
    report: async (request) => {
      const query = { period: request.period, date: request.date, tenant: request.tenant, timezone: request.timeZone, format: 'json' };
      const report = await call('GET', `/reports?${new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`);
      if (typeof report !== 'object' || report === null || !('object' in report) || report.object !== 'billing_report') throw new AdminCommandError(`the gateway at ${baseUrl} answered something other than a billing report: is it this version of Tollgate?`);
      return report as BillingReport;
    },
    close: () => Promise.resolve(),
  };
}

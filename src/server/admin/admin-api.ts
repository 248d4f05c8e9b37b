/**
 * The admin API under /admin/v1: tenants, keys, usage and billing reports, JSON in
 * and out (reports also as CSV or Markdown), behind its own bearer token (`auth.admin_token`, compared in
 * constant time). With no token configured the API does not exist (404 that
 * says how to turn it on). Every error is OpenAI-shaped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, InvalidRequestError } from '../../errors/index.js';
import type { UsageLedger } from '../../metering/usage-ledger.js';
import type { RequestContext } from '../../pipeline/contracts.js';
import { sendJson } from '../../pipeline/respond.js';
import { AdminInputError, parseKeyChanges, parseNewKey, parseNewTenant, parseRotation, parseTenantChanges, parseUsageQuery } from '../../tenancy/admin-input.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { budgetView, keyView, tenantView, usageView } from '../../tenancy/views.js';
import type { BudgetRef, BudgetStatus } from '../../budgets/budget-book.js';
import { readJsonObject } from '../body.js';
import { ADMIN_OPENAPI } from './openapi.js';
import { TextAnswer, reportAnswer } from './reports-route.js';
import { timeseriesAnswer } from './timeseries-route.js';
import { AdminAuth } from './admin-auth.js';
import type { ConsoleSessions, LoginThrottle } from './console-session.js';
import type { RequestFeed } from '../../metering/request-feed.js';
import { serveEvents, type EventStreamOptions } from './events-route.js';
import type { RoutesView } from './routes-view.js';

export const ADMIN_PREFIX = '/admin/v1';
const SESSION_PATH = `${ADMIN_PREFIX}/session`;
const EVENTS_PATH = `${ADMIN_PREFIX}/events`;
/** Admin bodies are small: a tenant or a key. */
const ADMIN_BODY_LIMIT = 64 * 1024;

class AdminOffError extends GatewayError {
  constructor() {
    super(404, 'invalid_request_error', 'admin_api_disabled', 'The admin API is off on this gateway: set auth.admin_token in the configuration (e.g. "${TOLLGATE_ADMIN_TOKEN}") and restart.');
  }
}

class AdminNotFoundError extends GatewayError {
  constructor(method: string, path: string) {
    super(404, 'invalid_request_error', 'not_found', `No admin route for ${method} ${path}. See GET ${ADMIN_PREFIX}/openapi.json for the routes.`);
  }
}

export interface AdminApiDeps {
  readonly adminToken: string | undefined;
  readonly tenancy: Tenancy;
  readonly ledger: UsageLedger;
  /** A budget's state now (limit, spend and reservations of its current period). */
  readonly budgetStatus: (ref: BudgetRef) => Promise<BudgetStatus>;
  /** Finished calls, streamed to `GET /admin/v1/events`. */
  readonly feed: RequestFeed;
  /** The routes as configured now, with this replica's circuit states (`GET /admin/v1/routes`). */
  readonly routes: () => RoutesView;
  /** Console sessions and the login throttle (tests pass their own clocks); defaults: fresh ones. */
  readonly sessions?: ConsoleSessions;
  readonly loginThrottle?: LoginThrottle;
  readonly events?: Partial<EventStreamOptions>;
}

async function body(req: IncomingMessage): Promise<unknown> {
  return (await readJsonObject(req, ADMIN_BODY_LIMIT)).body;
}

function query(url: string): Record<string, string> {
  const at = url.indexOf('?');
  return at < 0 ? {} : Object.fromEntries(new URLSearchParams(url.slice(at + 1)));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidRequestError(`The path segment '${segment}' is not valid percent-encoding.`, { code: 'invalid_admin_request' });
  }
}

function sendText(res: ServerResponse, status: number, answer: TextAnswer, headers: Readonly<Record<string, string>>): void {
  res.writeHead(status, { ...headers, ...answer.headers, 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

export function createAdminHandler(deps: AdminApiDeps) {
  const { tenancy } = deps;
  const auth = deps.adminToken === undefined ? undefined : new AdminAuth({ adminToken: deps.adminToken, sessions: deps.sessions, throttle: deps.loginThrottle });

  async function route(method: string, segments: readonly string[], req: IncomingMessage): Promise<[number, unknown]> {
    const [collection, id, action] = segments;
    if (collection === 'openapi.json' && segments.length === 1 && method === 'GET') return [200, ADMIN_OPENAPI];
    if (collection === 'tenants') {
      if (segments.length === 1 && method === 'GET') return [200, { object: 'list', data: (await tenancy.listTenants()).map(tenantView) }];
      if (segments.length === 1 && method === 'POST') return [201, tenantView(await tenancy.createTenant(parseNewTenant(await body(req))))];
      if (segments.length === 2 && method === 'GET') return [200, tenantView(await tenancy.getTenant(id!))];
      if (segments.length === 2 && method === 'PATCH') return [200, tenantView(await tenancy.updateTenant(id!, parseTenantChanges(await body(req))))];
    }
    if (collection === 'keys') {
      if (segments.length === 1 && method === 'GET') {
        const { tenant, ...rest } = query(req.url ?? '');
        if (Object.keys(rest).length > 0) throw new AdminInputError([`unknown query parameter ${Object.keys(rest).join(', ')} (expected tenant)`]);
        return [200, { object: 'list', data: (await tenancy.listKeys(tenant)).map((k) => keyView(k)) }];
      }
      if (segments.length === 1 && method === 'POST') {
        const issued = await tenancy.createKey(parseNewKey(await body(req)));
        return [201, { ...keyView(issued.record), key: issued.key }];
      }
      if (segments.length === 2 && method === 'GET') return [200, keyView(await tenancy.getKey(id!))];
      if (segments.length === 2 && method === 'PATCH') return [200, keyView(await tenancy.updateKey(id!, parseKeyChanges(await body(req))))];
      if (segments.length === 3 && method === 'POST' && action === 'revoke') return [200, keyView(await tenancy.revokeKey(id!))];
      if (segments.length === 3 && method === 'POST' && action === 'rotate') {
        const grace = parseRotation(req.headers['content-length'] === '0' || req.headers['content-length'] === undefined ? {} : await body(req));
        const issued = await tenancy.rotateKey(id!, grace);
        return [201, { ...keyView(issued.record), key: issued.key }];
      }
    }
    if (collection === 'budgets' && segments.length === 1 && method === 'GET') {
      const { tenant, ...rest } = query(req.url ?? '');
      if (Object.keys(rest).length > 0) throw new AdminInputError([`unknown query parameter ${Object.keys(rest).join(', ')} (expected tenant)`]);
      // Every budget in the store (tenants', then their keys'), so one added at run time is listed at once.
      const listed = await tenancy.listBudgets(tenant);
      const statuses = await Promise.all(listed.map(({ ref }) => deps.budgetStatus(ref)));
      return [200, { object: 'list', data: statuses.map(budgetView) }];
    }
    if (collection === 'usage' && segments.length === 1 && method === 'GET') {
      const usageQuery = parseUsageQuery(query(req.url ?? ''));
      return [200, { object: 'list', group_by: usageQuery.groupBy, data: (await deps.ledger.usage(usageQuery)).map(usageView) }];
    }
    if (collection === 'routes' && segments.length === 1 && method === 'GET') return [200, deps.routes()];
    if (collection === 'reports' && segments.length === 1 && method === 'GET') return [200, await reportAnswer(deps.ledger, query(req.url ?? ''), Date.now())];
    if (collection === 'timeseries' && segments.length === 1 && method === 'GET') return [200, await timeseriesAnswer(deps.ledger, query(req.url ?? ''), Date.now())];
    throw new AdminNotFoundError(method, `${ADMIN_PREFIX}/${segments.join('/')}`);
  }

  return async function handleAdmin(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    if (auth === undefined) throw new AdminOffError();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const raw = url.split('?', 1)[0]!;
    const path = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
    // The login is the one route that needs no credentials; GET finds the session by its cookie.
    if (path === SESSION_PATH && method === 'POST') return auth.login(req, res, ctx);
    if (path === SESSION_PATH && method === 'GET') return auth.current(req, res, ctx);
    auth.authorize(req);
    if (path === SESSION_PATH && method === 'DELETE') return auth.logout(req, res, ctx);
    if (path === EVENTS_PATH && method === 'GET') return serveEvents(deps.feed, req, res, ctx, deps.events);
    const segments = path
      .slice(ADMIN_PREFIX.length)
      .split('/')
      .filter((s) => s !== '')
      .map(decodeSegment);
    try {
      const [status, result] = await route(method, segments, req);
      const headers = { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' };
      if (result instanceof TextAnswer) sendText(res, status, result, headers);
      else sendJson(res, status, JSON.stringify(result), headers);
    } catch (error) {
      if (error instanceof AdminInputError) throw new InvalidRequestError(`Invalid admin request: ${error.message}.`, { code: 'invalid_admin_request' });
      throw error;
    }
  };
}

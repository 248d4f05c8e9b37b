/**
 * Who may use the admin API: the bearer admin token (scripts, the CLI), or a
 * console session cookie with, on every state-changing request, its CSRF
 * token in `x-csrf-token`. Also the session routes themselves:
 * `POST /admin/v1/session` (login with the admin token), `GET` (the current
 * session's CSRF token, for a reloaded page) and `DELETE` (logout).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, InvalidRequestError } from '../../errors/index.js';
import type { RequestContext } from '../../pipeline/contracts.js';
import { sendJson } from '../../pipeline/respond.js';
import { presentedKey } from '../../tenancy/authenticator.js';
import { sameSecret } from '../../tenancy/virtual-key.js';
import { readJsonObject } from '../body.js';
import { type ConsoleSession, ConsoleSessions, LoginThrottle, overTls, sessionCookie, sessionCookieOf } from './console-session.js';

export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing: a session cookie alone is enough for them. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const LOGIN_BODY_LIMIT = 4 * 1024;

export class AdminAuthError extends GatewayError {
  constructor(missing: boolean) {
    super(
      401,
      'invalid_request_error',
      missing ? 'missing_admin_token' : 'invalid_admin_token',
      missing
        ? 'The admin API needs the admin token: send `Authorization: Bearer <auth.admin_token>`, or log in with POST /admin/v1/session.'
        : 'The admin token is not the one configured (auth.admin_token).',
      { headers: { 'www-authenticate': 'Bearer realm="tollgate-admin"' } },
    );
  }
}

class SessionInvalidError extends GatewayError {
  constructor() {
    super(401, 'invalid_request_error', 'invalid_session', 'The console session has expired or was logged out: log in again with POST /admin/v1/session.', {
      headers: { 'www-authenticate': 'Bearer realm="tollgate-admin"' },
    });
  }
}

class CsrfTokenError extends GatewayError {
  constructor() {
    super(403, 'invalid_request_error', 'csrf_token_invalid', `A change made with the console session cookie must carry the session's CSRF token in the ${CSRF_HEADER} header (from the login's answer, or GET /admin/v1/session).`);
  }
}

class TooManyLoginsError extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limit_error', 'too_many_login_attempts', `Too many failed logins from this address: try again in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sessionBody(session: ConsoleSession): string {
  return JSON.stringify({ object: 'session', csrf_token: session.csrfToken, expires_at: Math.floor(session.expiresAt / 1000) });
}

export interface AdminAuthOptions {
  readonly adminToken: string;
  readonly sessions?: ConsoleSessions;
  readonly throttle?: LoginThrottle;
}

export class AdminAuth {
  private readonly adminToken: string;
  private readonly sessions: ConsoleSessions;
  private readonly throttle: LoginThrottle;

  constructor(options: AdminAuthOptions) {
    this.adminToken = options.adminToken;
    this.sessions = options.sessions ?? new ConsoleSessions(options.adminToken);
    this.throttle = options.throttle ?? new LoginThrottle();
  }

  /**
   * Throws unless the request may use the admin API. A bearer token, when
   * sent, decides alone (a wrong one is not rescued by a cookie).
   */
  authorize(req: IncomingMessage): void {
    const presented = presentedKey(req.headers);
    if (presented !== undefined) {
      if (!sameSecret(presented, this.adminToken)) throw new AdminAuthError(false);
      return;
    }
    const id = sessionCookieOf(req.headers);
    if (id === undefined) throw new AdminAuthError(true);
    const session = this.sessions.find(id);
    if (session === undefined) throw new SessionInvalidError();
    if (SAFE_METHODS.has(req.method ?? 'GET')) return;
    const csrf = header(req, CSRF_HEADER);
    if (csrf === undefined || !sameSecret(csrf, session.csrfToken)) throw new CsrfTokenError();
  }

  /** `POST /admin/v1/session`: `{"token": "<admin token>"}` → 200 with the CSRF token, and the cookie. */
  async login(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const blocked = this.throttle.blockedFor(address);
    if (blocked !== undefined) throw new TooManyLoginsError(blocked);
    const { body } = await readJsonObject(req, LOGIN_BODY_LIMIT);
    const token = (body as { token?: unknown }).token;
    if (typeof token !== 'string' || Object.keys(body).length !== 1) {
      throw new InvalidRequestError('Invalid admin request: the login body is {"token": "<auth.admin_token>"}.', { code: 'invalid_admin_request', param: 'token' });
    }
    if (!sameSecret(token, this.adminToken)) {
      this.throttle.failed(address);
      throw new AdminAuthError(false);
    }
    const session = this.sessions.create();
    sendJson(res, 200, sessionBody(session), {
      'x-request-id': ctx.requestId,
      'cache-control': 'no-store',
      'set-cookie': sessionCookie(session.id, this.sessions.ttlSeconds, overTls(req)),
    });
  }

  /** `GET /admin/v1/session`: the cookie's session (its CSRF token), for a console page loaded again. */
  current(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    const id = sessionCookieOf(req.headers);
    const session = id === undefined ? undefined : this.sessions.find(id);
    if (session === undefined) throw new SessionInvalidError();
    sendJson(res, 200, sessionBody(session), { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' });
  }

  /** `DELETE /admin/v1/session` (after `authorize`): ends the cookie's session and clears the cookie. */
  logout(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    const id = sessionCookieOf(req.headers);
    if (id !== undefined) this.sessions.remove(id);
    res.writeHead(204, { 'x-request-id': ctx.requestId, 'cache-control': 'no-store', 'set-cookie': sessionCookie('', 0, overTls(req)) });
    res.end();
  }
}

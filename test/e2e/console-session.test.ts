/**
 * Console sessions over HTTP: a login with the admin token sets an HttpOnly,
 * SameSite=Strict cookie and answers the CSRF token; the cookie reads the
 * admin API, changes need the CSRF header as well; logout ends the session;
 * wrong tokens are refused and, past ten a minute from one address, throttled.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';
let gateway: Gateway;

function baseConfig(adminToken: string | undefined): GatewayConfig {
  return { ...config([], []), auth: { adminToken, anonymousTenant: undefined, trustedProxy: undefined } };
}

beforeAll(async () => {
  gateway = await startTestGateway(baseConfig(ADMIN_TOKEN));
});
afterAll(async () => {
  await gateway.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> & { error?: { code: string; type: string; message: string } };
}

/** One request over its own connection, from `localAddress` when given (another loopback address is another client). */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; localAddress?: string; base?: string } = {}): Promise<Answer> {
  const url = new URL(`${options.base ?? gateway.url}/admin/v1${path}`);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        localAddress: options.localAddress,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function login(token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string; csrf: string }> {
  const answer = await send('POST', '/session', { body: { token }, headers });
  const setCookie = answer.headers['set-cookie']?.[0] ?? '';
  return { answer, cookie: setCookie.split(';', 1)[0]!, csrf: String(answer.body['csrf_token']) };
}

describe('console session login', () => {
  it('sets an HttpOnly, SameSite=Strict cookie holding a signed session (expiry, 16 random bytes, MAC) and answers the CSRF token', async () => {
    const { answer, cookie, csrf } = await login();
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const setCookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^tollgate_session=[0-9a-z]+\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect(csrf).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.body['object']).toBe('session');
    const expiresAt = Number(answer.body['expires_at']);
    expect(Math.abs(expiresAt - (Date.now() / 1000 + 43_200))).toBeLessThan(5);
    // Two logins are two sessions.
    const other = await login();
    expect(other.cookie).not.toBe(cookie);
    expect(other.csrf).not.toBe(csrf);
  });

  it('marks the cookie Secure when the browser came over HTTPS through a proxy', async () => {
    const { answer } = await login(ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(answer.headers['set-cookie']?.[0]).toMatch(/; Secure$/);
  });

  it('refuses a wrong token with 401 and a malformed body with 400, setting no cookie', async () => {
    const wrong = await send('POST', '/session', { body: { token: 'not-the-admin-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('invalid_admin_token');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const malformed = await send('POST', '/session', { body: { password: ADMIN_TOKEN } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('invalid_admin_request');
  });

  it('throttles an address after ten failed logins a minute (429 with Retry-After), even with the right token, and only that address', async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < 10; i++) expect((await send('POST', '/session', { body: { token: `wrong-${i}` }, localAddress: from })).status).toBe(401);
    const throttled = await send('POST', '/session', { body: { token: ADMIN_TOKEN }, localAddress: from });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error?.code).toBe('too_many_login_attempts');
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(throttled.headers['set-cookie']).toBeUndefined();
    // Another address logs in.
    expect((await send('POST', '/session', { body: { token: ADMIN_TOKEN }, localAddress: '127.0.0.3' })).status).toBe(200);
  });

  it('does not exist without auth.admin_token', async () => {
    const open = await startTestGateway(baseConfig(undefined));
    try {
      const answer = await send('POST', '/session', { body: { token: ADMIN_TOKEN }, base: open.url });
      expect(answer.status).toBe(404);
      expect(answer.body.error?.code).toBe('admin_api_disabled');
    } finally {
      await open.close();
    }
  });
});

describe('the admin API with a session cookie', () => {
  it('reads with the cookie alone, and answers the session (its CSRF token) to GET /session', async () => {
    const { cookie, csrf } = await login();
    const tenants = await send('GET', '/tenants', { headers: { cookie } });
    expect(tenants.status).toBe(200);
    expect(tenants.body['object']).toBe('list');
    const session = await send('GET', '/session', { headers: { cookie: `theme=dark; ${cookie}` } });
    expect(session.status).toBe(200);
    expect(session.body['csrf_token']).toBe(csrf);
    expect((await send('GET', '/session')).status).toBe(401);
  });

  it('refuses a change without the CSRF token, or with another session’s, with 403 csrf_token_invalid and changes nothing', async () => {
    const { cookie, csrf } = await login();
    const other = await login();
    const missing = await send('POST', '/tenants', { headers: { cookie }, body: { name: 'console-made' } });
    expect(missing.status).toBe(403);
    expect(missing.body.error?.code).toBe('csrf_token_invalid');
    const foreign = await send('POST', '/tenants', { headers: { cookie, 'x-csrf-token': other.csrf }, body: { name: 'console-made' } });
    expect(foreign.status).toBe(403);
    expect((await send('GET', '/tenants/console-made', { headers: { cookie } })).status).toBe(404);

    const made = await send('POST', '/tenants', { headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'console-made' } });
    expect(made.status).toBe(201);
    expect(made.body['name']).toBe('console-made');
    const changed = await send('PATCH', '/tenants/console-made', { headers: { cookie, 'x-csrf-token': csrf }, body: { rpm: 5 } });
    expect(changed.status).toBe(200);
    expect(changed.body['rpm']).toBe(5);
  });

  it('refuses an unknown session cookie with 401 invalid_session, and the bearer token still works beside cookies', async () => {
    const unknown = await send('GET', '/tenants', { headers: { cookie: `tollgate_session=${'ab'.repeat(32)}` } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error?.code).toBe('invalid_session');
    const bearer = await send('POST', '/tenants', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { name: 'bearer-made' } });
    expect(bearer.status).toBe(201);
    // A wrong bearer token is not rescued by a good cookie.
    const { cookie } = await login();
    expect((await send('GET', '/tenants', { headers: { cookie, authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  });

  it('logs out: DELETE /session (with the CSRF token) clears the cookie and the session no longer works', async () => {
    const { cookie, csrf } = await login();
    expect((await send('DELETE', '/session', { headers: { cookie } })).status).toBe(403);
    const out = await send('DELETE', '/session', { headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']?.[0]).toBe('tollgate_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
    const after = await send('GET', '/tenants', { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.error?.code).toBe('invalid_session');
  });

  it('is accepted by every gateway with the same admin token — another replica, or this one restarted — and by none with another token', async () => {
    const { cookie, csrf } = await login();
    const replica = await startTestGateway(baseConfig(ADMIN_TOKEN));
    const stranger = await startTestGateway(baseConfig('another-admin-token-0123456789'));
    try {
      const read = await send('GET', '/session', { headers: { cookie }, base: replica.url });
      expect(read.status).toBe(200);
      expect(read.body['csrf_token']).toBe(csrf);
      const changed = await send('POST', '/tenants', { headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'made-on-a-replica' }, base: replica.url });
      expect(changed.status).toBe(201);
      const refused = await send('GET', '/tenants', { headers: { cookie }, base: stranger.url });
      expect(refused.status).toBe(401);
      expect(refused.body.error?.code).toBe('invalid_session');
    } finally {
      await replica.close();
      await stranger.close();
    }
  });
});

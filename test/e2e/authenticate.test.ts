/**
 * The authenticate and resolve stages: a caller is authenticated from its
 * headers before its body is read or routed, and sees only the models its
 * principal may use — in `GET /v1/models`, in a 404's list, and as a 403 for
 * a model it may not use. Its tenant labels the ledger row and the metrics.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { Authenticator, Principal, RequestHeaders } from '../../src/pipeline/contracts.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

class MissingKeyError extends GatewayError {
  constructor() {
    super(401, 'invalid_request_error', 'invalid_api_key', 'Send your key in the Authorization header: Bearer <key>.');
  }
}

/** `Bearer team-<tenant>`: that tenant, allowed the `team-*` models and `shared`. */
const teamAuthenticator: Authenticator = {
  authenticate(headers: RequestHeaders): Principal {
    const value = headers['authorization'];
    const match = typeof value === 'string' ? /^Bearer team-(\w+)$/.exec(value) : null;
    if (!match) throw new MissingKeyError();
    return { tenant: match[1]!, keyId: `key-${match[1]!}`, modelScopes: [['team-*', 'shared']], rateLimits: [], budgets: [], guardrails: [] };
  },
};

let upstream: MockUpstream;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(
    config(
      [provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' })],
      [model('team-small', ['up/small']), model('team-large', ['up/large']), model('shared', ['up/shared']), model('secret-model', ['up/secret'])],
    ),
    { authenticator: teamAuthenticator },
  );
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const chat = (modelName: string, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }] }) });

describe('authenticate', () => {
  it('refuses an anonymous caller with 401 before routing: no model name is revealed and nothing reaches an upstream', async () => {
    const before = upstream.stats.requests;
    const response = await chat('secret-model');
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(text).not.toMatch(/secret-model|team-small|shared/);
    expect(upstream.stats.requests).toBe(before);
  });

  it('answers before reading the body: a refused caller cannot make the gateway wait for (or hold) its upload', async () => {
    const { status, connection } = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const url = new URL(`${gateway.url}/v1/chat/completions`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000000' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
        req.destroy();
      });
      req.on('error', reject);
      // A few bytes of a body announced as a megabyte, and never the rest.
      req.write('{"model":"shared","messages":[');
    });
    expect(status).toBe(401);
    // The unread body is not drained: the connection is closed.
    expect(connection).toBe('close');
  });

  it('refuses GET /v1/models without a key, and lists only the caller’s models with one', async () => {
    expect((await fetch(`${gateway.url}/v1/models`)).status).toBe(401);
    const response = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: 'Bearer team-alpha' } });
    const ids = ((await response.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id).sort();
    expect(ids).toEqual(['shared', 'team-large', 'team-small']);
  });
});

describe('resolve, among the principal’s models', () => {
  it('a model the caller may not use is a 403 that lists only what it may use', async () => {
    const response = await chat('secret-model', { authorization: 'Bearer team-alpha' });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('model_not_allowed');
    expect(body.error.message).toContain('team-small');
    expect(body.error.message).not.toMatch(/Models it may use:.*secret-model/);
  });

  it('an unknown model is a 404 that lists only the caller’s models', async () => {
    const response = await chat('team-nonexistent', { authorization: 'Bearer team-alpha' });
    expect(response.status).toBe(404);
    const message = ((await response.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('team-small');
    expect(message).not.toContain('secret-model');
  });

  it('an allowed model is served, and the tenant is the ledger row’s and the metrics’', async () => {
    const response = await chat('team-small', { authorization: 'Bearer team-beta', 'x-request-id': 'auth-served' });
    expect(response.status).toBe(200);
    await response.json();
    const row = (await gateway.ledger.recent(100)).find((r) => r.requestId === 'auth-served');
    expect(row?.tenant).toBe('beta');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/llm_requests_total\{[^}]*tenant="beta"[^}]*\} 1/);
  });
});

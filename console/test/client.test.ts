import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, withQuery } from '../src/api/client.js';
import { apiError, startAdminServer, type AdminServer } from './admin-server.js';

const session = { object: 'session', csrf_token: 'c5rf'.repeat(16), expires_at: 1_796_520_581 };

describe('ApiClient against an admin API on loopback', () => {
  let server: AdminServer;
  let unauthorized: number;
  let api: ApiClient;

  beforeEach(async () => {
    server = await startAdminServer();
    unauthorized = 0;
    api = new ApiClient({ baseUrl: server.origin, onUnauthorized: () => unauthorized++ });
  });
  afterEach(() => server.close());

  it('sends the session CSRF token and a JSON content type on every change, never on a GET', async () => {
    server.on('POST', '/session', () => ({ status: 200, body: session }));
    server.on('GET', '/tenants', () => ({ status: 200, body: { object: 'list', data: [] } }));
    server.on('POST', '/keys', () => ({ status: 201, body: { object: 'api_key', id: 'k1' } }));
    server.on('PATCH', '/keys/k1', () => ({ status: 200, body: { object: 'api_key', id: 'k1' } }));
    server.on('DELETE', '/session', () => ({ status: 204 }));

    await api.signIn('a-very-long-admin-token');
    await api.get('/tenants');
    await api.post('/keys', { tenant: 'team-a' });
    await api.patch('/keys/k1', { rpm: 5 });
    await api.signOut();

    const [login, list, create, change, logout] = server.received;
    expect(login?.body).toEqual({ token: 'a-very-long-admin-token' });
    expect(list?.method).toBe('GET');
    expect(list?.headers['x-csrf-token']).toBeUndefined();
    for (const request of [create, change, logout]) {
      expect(request?.headers['x-csrf-token']).toBe(session.csrf_token);
      expect(request?.headers['content-type']).toBe('application/json');
    }
    expect(create?.body).toEqual({ tenant: 'team-a' });
    expect(change?.body).toEqual({ rpm: 5 });
  });

  it('picks up the CSRF token of a resumed session', async () => {
    server.on('GET', '/session', () => ({ status: 200, body: session }));
    server.on('POST', '/keys/k1/revoke', () => ({ status: 200, body: { object: 'api_key', id: 'k1', status: 'revoked' } }));
    expect(await api.resume()).toEqual(session);
    await api.post('/keys/k1/revoke');
    expect(server.received[1]?.headers['x-csrf-token']).toBe(session.csrf_token);
  });

  it('resumes nothing without a session, and does not call that an expiry', async () => {
    server.on('GET', '/session', () => apiError(401, 'No console session.', 'invalid_session'));
    expect(await api.resume()).toBeNull();
    expect(unauthorized).toBe(0);
  });

  it('goes back to the login form on any 401 of the API, with the server message', async () => {
    server.on('POST', '/session', () => ({ status: 200, body: session }));
    server.on('GET', '/budgets', () => apiError(401, 'The console session has expired.', 'invalid_session'));
    server.on('POST', '/tenants', () => ({ status: 201, body: {} }));
    await api.signIn('token-token-token');
    await expect(api.get('/budgets')).rejects.toMatchObject({ status: 401, message: 'The console session has expired.', code: 'invalid_session' });
    expect(unauthorized).toBe(1);
    // The token of the ended session is not sent again.
    await api.post('/tenants', { name: 'x' });
    expect(server.received.at(-1)?.headers['x-csrf-token']).toBeUndefined();
  });

  it('reports a refused login with the server message and without treating it as an expiry', async () => {
    server.on('POST', '/session', () => apiError(401, 'Invalid admin token.', 'invalid_admin_token'));
    const error = await api.signIn('wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, message: 'Invalid admin token.' });
    expect(unauthorized).toBe(0);

    server.on('POST', '/session', () => apiError(429, 'Too many login attempts; try again in a minute.', 'too_many_login_attempts'));
    await expect(api.signIn('again')).rejects.toMatchObject({ status: 429, message: 'Too many login attempts; try again in a minute.' });
  });

  it('shows the server validation message of a refused change', async () => {
    server.on('PATCH', '/tenants/team-b', () => apiError(400, 'Invalid admin request: rpm: Too small: expected number to be >=1.', 'invalid_admin_request'));
    await expect(api.patch('/tenants/team-b', { rpm: 0 })).rejects.toMatchObject({ status: 400, message: 'Invalid admin request: rpm: Too small: expected number to be >=1.', code: 'invalid_admin_request' });
  });

  it('names the status when the answer is not the API error shape', async () => {
    server.on('GET', '/timeseries', () => ({ status: 502, text: '<html>Bad gateway</html>' }));
    await expect(api.get('/timeseries', { bucket: 'hour' })).rejects.toMatchObject({ status: 502, message: expect.stringContaining('502') as unknown });
  });

  it('passes the query, leaving empty filters out', async () => {
    server.on('GET', '/usage', () => ({ status: 200, body: { object: 'list', data: [] } }));
    await api.get('/usage', { group_by: 'tenant', from: '2026-12-01', to: '2026-12-05', tenant: '', key: undefined });
    expect(server.received[0]?.path).toBe('/usage?group_by=tenant&from=2026-12-01&to=2026-12-05');
  });

  it('turns an unreachable gateway into an ApiError that says so', async () => {
    await server.close();
    const lost = new ApiClient({ baseUrl: server.origin });
    await expect(lost.get('/tenants')).rejects.toMatchObject({ status: 0, message: expect.stringContaining('could not be reached') as unknown });
    server = await startAdminServer();
  });
});

describe('withQuery', () => {
  it('encodes values and leaves the path alone without any', () => {
    expect(withQuery('/events', { tenant: 'team a', status: 'ok' })).toBe('/events?tenant=team+a&status=ok');
    expect(withQuery('/events', {})).toBe('/events');
    expect(new ApiClient().url('/reports', { period: 'day', date: '2026-12-05', format: 'csv' })).toBe('/admin/v1/reports?period=day&date=2026-12-05&format=csv');
  });
});

// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../src/app.js';
import { apiError, startAdminServer, type AdminServer } from './admin-server.js';
import { until } from './until.js';

const CSRF = 'f'.repeat(64);
const session = { object: 'session', csrf_token: CSRF, expires_at: 1_796_520_581 };

interface HappyDomWindow {
  readonly happyDOM: { setURL(url: string): void };
}

const byText = (selector: string, text: string): HTMLElement | undefined => [...document.querySelectorAll<HTMLElement>(selector)].find((e) => e.textContent?.trim() === text);

function signIn(token: string): void {
  const input = document.getElementById('admin-token') as HTMLInputElement;
  void act(() => {
    input.value = token;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  void act(() => byText('button', 'Sign in')!.click());
}

function go(hash: string): void {
  void act(() => {
    location.hash = hash;
    window.dispatchEvent(new Event('hashchange'));
  });
}

describe('the console app, served from the same origin as an admin API on loopback', () => {
  let server: AdminServer;
  let host: HTMLElement;

  beforeEach(async () => {
    server = await startAdminServer();
    // The page and the API share an origin, as when the gateway serves /console/.
    (window as unknown as HappyDomWindow).happyDOM.setURL(`${server.origin}/console/#/spend`);
    host = document.createElement('div');
    document.body.append(host);
  });
  afterEach(async () => {
    void act(() => render(null, host));
    host.remove();
    await server.close();
  });

  it('signs in, shows the spend tables sorted by cost with shares and budget meters, and signs out with the CSRF token', async () => {
    let signedIn = false;
    server.on('GET', '/session', () => (signedIn ? { status: 200, body: session } : apiError(401, 'No session.', 'invalid_session')));
    server.on('POST', '/session', (request) => {
      const { token } = request.body as { token: string };
      if (token !== 'the-admin-token-0123') return apiError(401, 'The admin token is not the one configured (auth.admin_token).', 'invalid_admin_token');
      signedIn = true;
      return { status: 200, body: session };
    });
    server.on('DELETE', '/session', () => {
      signedIn = false;
      return { status: 204 };
    });
    server.on('GET', '/usage', (request) => {
      const group = new URL(request.path, 'http://x').searchParams.get('group_by');
      const sums = { errors: 0, prompt_tokens: 15_000, completion_tokens: 900, cached_tokens: 0, reasoning_tokens: 0 };
      const row = (name: string, cost: number, requests: number) =>
        group === 'tenant,key' ? { tenant: 'team-a', key_id: name, requests, ...sums, cost_usd: cost } : { [group ?? 'day']: name, requests, ...sums, cost_usd: cost };
      return { status: 200, body: { object: 'list', group_by: group?.split(','), data: [row('small', 1, 10), row('big', 3, 2)] } };
    });
    server.on('GET', '/keys', () => ({ status: 200, body: { object: 'list', data: [{ object: 'api_key', id: 'big', name: 'ci-runners', tenant: 'team-a' }] } }));
    server.on('GET', '/budgets', () => ({
      status: 200,
      body: { object: 'list', data: [{ object: 'budget', scope: 'tenant', owner: 'team-c', tenant: 'team-c', key_id: null, period: 'day', timezone: 'UTC', reset_at: '00:00', soft: [0.5, 0.8], limit_usd: 40, spent_usd: 46, reserved_usd: 2, remaining_usd: 0, used_ratio: 1.2, period_start: 1_796_428_800, resets_at: 1_796_515_200 }] },
    }));

    void act(() => render(<App />, host));
    await until(() => document.getElementById('admin-token') !== null, 'the login form');
    expect(document.querySelector('nav')).toBeNull();

    signIn('wrong-token-0123456');
    await until(() => document.querySelector('[role=alert]') !== null, 'the refusal');
    expect(document.querySelector('[role=alert]')?.textContent).toBe('The admin token is not the one configured (auth.admin_token).');

    signIn('the-admin-token-0123');
    await until(() => document.querySelector('[data-testid=usage-tenant] tbody tr') !== null && document.querySelector('[role=meter]') !== null, 'the spend page');

    const links = [...document.querySelectorAll('nav a')];
    expect(links.map((a) => a.textContent)).toEqual(['Overview', 'Spend', 'Traffic', 'Tenants & keys', 'Routes']);
    expect(document.querySelector('nav a[aria-current=page]')?.textContent).toBe('Spend');

    const rows = [...document.querySelectorAll('[data-testid=usage-tenant] tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['big', '2', '15k', '900', '$3.00', '75%'],
      ['small', '10', '15k', '900', '$1.00', '25%'],
    ]);
    // Keys by their name where they have one, with their id and tenant; grouped with the tenant to say whose they are.
    await until(() => document.querySelector('[data-testid=usage-key] tbody tr th')?.textContent?.startsWith('ci-runners') === true, 'the key names');
    const keyRows = [...document.querySelectorAll('[data-testid=usage-key] tbody tr th')].map((th) => th.textContent);
    expect(keyRows).toEqual(['ci-runners big · team-a', 'small team-a']);
    expect(server.received.some((r) => r.path.startsWith('/usage?group_by=tenant%2Ckey'))).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    expect(server.received.find((r) => r.path.startsWith('/usage?group_by=model'))?.path).toBe(`/usage?group_by=model&from=${today}&to=${today}`);

    const meter = document.querySelector('[role=meter]')!;
    expect(meter.getAttribute('aria-valuemax')).toBe('40');
    expect(meter.getAttribute('aria-valuenow')).toBe('40');
    expect(meter.getAttribute('aria-valuetext')).toBe('$46.00 spent and $2.00 reserved of $40.00 (120%), over the limit');
    expect(document.querySelector('[data-testid=budget]')?.textContent).toContain('Over limit');
    expect(meter.querySelectorAll('.bar-soft')).toHaveLength(2);

    expect(byText('a', 'Export CSV')?.getAttribute('href')).toBe(`/admin/v1/reports?period=day&date=${today}&format=csv`);

    void act(() => byText('button', 'Sign out')!.click());
    await until(() => document.getElementById('admin-token') !== null, 'the login form again');
    const logout = server.received.find((r) => r.method === 'DELETE');
    expect(logout?.path).toBe('/session');
    expect(logout?.headers['x-csrf-token']).toBe(CSRF);
  });

  it('goes back to the login form when the session ends while a page loads', async () => {
    server.on('GET', '/session', () => ({ status: 200, body: session }));
    server.on('GET', '/tenants', () => apiError(401, 'The console session has expired or was logged out.', 'invalid_session'));
    go('#/tenants');
    void act(() => render(<App />, host));
    await until(() => document.getElementById('admin-token') !== null, 'the login form');
    expect(document.body.textContent).toContain('Your session has ended. Sign in again.');
    expect(document.querySelector('nav')).toBeNull();
  });
});

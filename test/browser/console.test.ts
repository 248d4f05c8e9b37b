/**
 * The web console in a real browser (Debian's Chromium through
 * playwright-core) against a real gateway and an upstream simulator over
 * loopback: sign in (a wrong token refused), today's traffic made by the test
 * on the overview, a key created in the console used through the official
 * SDK and refused once revoked there, a call appearing live in the feed, the
 * CSV export, and a state change without the CSRF token refused.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { launchChromium } from './chromium.js';
import { PAGES, showPage } from './navigate.js';
import { saveScreenshot } from './screenshots.js';

const ADMIN_TOKEN = 'console-browser-admin-token-0123456789';
let upstream: MockUpstream;
let gateway: Gateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** What the page reported as errors: script exceptions, CSP violations, failed loads other than the refusals the tests provoke. */
const pageErrors: string[] = [];
/** The refusals the tests provoke on purpose: a wrong token, no session yet, a change without the CSRF token, a revoked key. */
const EXPECTED_REFUSAL = /\/(admin\/v1\/(session|tenants)|v1\/chat\/completions)$/;

function gatewayConfig(): GatewayConfig {
  const base = config([provider({ name: 'openai', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('gpt-5', ['openai/gpt-5']), model('gpt-5-mini', ['openai/gpt-5-mini'])]);
  return {
    ...base,
    auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined },
    tenants: [{ name: 'platform', models: undefined, rpm: undefined, tpm: undefined, metadata: {} }],
  };
}

async function chat(key: string, modelName = 'gpt-5'): Promise<{ requestId: string | null }> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const { response } = await client.chat.completions.create({ model: modelName, messages: [{ role: 'user', content: 'Say hello.' }] }).withResponse();
  return { requestId: response.headers.get('x-request-id') };
}

async function signIn(target: Page, token = ADMIN_TOKEN): Promise<void> {
  await target.goto(`${gateway.url}/console/`);
  await target.getByLabel('Admin token').fill(token);
  await target.getByRole('button', { name: 'Sign in' }).click();
}


beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 5, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(gatewayConfig());
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  page = await context.newPage();
  // Well inside the test's own timeout, so a failure names the element it waited for.
  page.setDefaultTimeout(8_000);
  page.on('pageerror', (error) => pageErrors.push(`exception: ${error.message}`));
  page.on('console', (message) => {
    // The page's own failed loads are reported by the response below, with their address; the browser's (its icon) only here.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[13]/.test(message.text())) pageErrors.push(message.text());
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !([401, 403].includes(response.status()) && EXPECTED_REFUSAL.test(path))) pageErrors.push(`${response.status()} ${path}`);
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await upstream?.close();
});

describe('signing in', () => {
  it('refuses a wrong token with the server’s message and stays on the form', async () => {
    await signIn(page, 'not-the-admin-token');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/admin token/i);
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
  });

  it('signs in with the admin token (keyboard only) and shows today’s traffic made by the test', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'platform', name: 'warm-up' });
    for (let i = 0; i < 3; i++) await chat(key);
    await chat(key, 'gpt-5-mini');
    await page.goto(`${gateway.url}/console/`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Today' }).click();
    const overview = page.locator('[data-ready="true"]');
    await overview.waitFor();
    // The session cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('tollgate_session');
    const cookie = (await context.cookies()).find((c) => c.name === 'tollgate_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Exactly the four calls above: the store is this test's own.
    await expect.poll(() => page.getByTestId('tile-requests').locator('.tile-value').textContent()).toBe('4');
    expect(await page.getByTestId('tile-errors').locator('.tile-value').textContent()).toBe('0');
    // Per model, from the same answer.
    const modelRows = await page.locator('[data-testid=models] tbody tr').all();
    expect(await Promise.all(modelRows.map(async (row) => [await row.getAttribute('data-model'), await row.locator('td').first().textContent()]))).toEqual([
      ['gpt-5', '3'],
      ['gpt-5-mini', '1'],
    ]);
  });
});

describe('keys', () => {
  it('creates a key shown once, which then works through the API, and revokes it so the next call is refused', async () => {
    await showPage(page, 'Tenants & keys');
    await page.getByRole('button', { name: 'platform' }).click();
    await page.getByLabel('Key name').fill('browser-made');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    const key = (await dialog.getByTestId('new-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^tg_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-key').count()).toBe(0);

    const { requestId } = await chat(key);
    expect(requestId).toBeTruthy();

    const row = page.locator('tr[data-key-id]', { hasText: 'browser-made' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row.textContent()).toMatch(/revoked/i);
    await expect(chat(key)).rejects.toMatchObject({ status: 401 });
  });
});

describe('traffic', () => {
  it('shows a call live in the feed as it finishes', async () => {
    await showPage(page, 'Traffic');
    const { key } = await gateway.tenancy.createKey({ tenant: 'platform', name: 'live' });
    const { requestId } = await chat(key, 'gpt-5-mini');
    const row = page.locator(`[data-request-id="${requestId}"]`);
    await row.waitFor({ timeout: 5_000 });
    expect(await row.textContent()).toContain('gpt-5-mini');
    expect(await row.textContent()).toContain('platform');
  });
});

describe('spend', () => {
  it('exports the period as CSV', async () => {
    await showPage(page, 'Spend');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Export CSV/ }).click()]);
    const text = readFileSync((await download.path()), 'utf8');
    const [header, ...lines] = text.trim().split('\n');
    expect(header).toMatch(/tenant/);
    expect(lines.some((line) => line.includes('platform') && line.includes('gpt-5'))).toBe(true);
  });
});

describe('CSRF', () => {
  it('refuses a state change from the session without the CSRF token, and takes it with the token', async () => {
    const refused = await page.evaluate(async () => {
      const answer = await fetch('/admin/v1/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged' }) });
      return { status: answer.status, body: (await answer.json()) as { error: { code: string } } };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_token_invalid');
    await expect(gateway.tenancy.getTenant('forged')).rejects.toThrow();
    const accepted = await page.evaluate(async () => {
      const session = (await (await fetch('/admin/v1/session')).json()) as { csrf_token: string };
      const answer = await fetch('/admin/v1/tenants', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token }, body: JSON.stringify({ name: 'with-token' }) });
      return answer.status;
    });
    expect(accepted).toBe(201);
    expect((await gateway.tenancy.getTenant('with-token')).name).toBe('with-token');
  });
});

describe('pages', () => {
  it('renders every page, screenshots included', async () => {
    for (const name of PAGES) {
      await showPage(page, name);
      await saveScreenshot(page, `flows-${name}`);
    }
    expect(await page.locator('[data-route="gpt-5-mini"]').textContent()).toContain('Circuit closed');
  });
});

describe('the browser’s console', () => {
  it('reported no script error, Content-Security-Policy violation or failed load through all of the above', () => {
    expect(pageErrors).toEqual([]);
  });
});

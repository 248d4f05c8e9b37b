/**
 * The console's accessibility, checked by axe-core (WCAG 2.1 A and AA rules:
 * labels, names, roles, contrast, landmarks) on every page with data on it,
 * in the light and the dark colour scheme, with its dialogs open; and the
 * whole console used from the keyboard alone.
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { launchChromium } from './chromium.js';
import { PAGES, showPage } from './navigate.js';

const ADMIN_TOKEN = 'console-a11y-admin-token-0123456789';
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let upstream: MockUpstream;
let gateway: Gateway;
let browser: Browser;

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[]; readonly failureSummary?: string }[];
}

function gatewayConfig(): GatewayConfig {
  const base = config([provider({ name: 'openai', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('gpt-5', ['openai/gpt-5']), model('gpt-5-mini', ['openai/gpt-5-mini'])]);
  return { ...base, auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined } };
}

/** axe's WCAG 2.x A and AA rules on the page as it is now; each violation as one readable line. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  const found = await page.evaluate<AxeViolation[]>(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)`);
  return found.map((v) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary === undefined ? '' : ` [${n.failureSummary.replace(/\s+/g, ' ')}]`}`).join('; ')}`);
}

async function signedIn(colorScheme: 'light' | 'dark'): Promise<Page> {
  // axe is injected as a script: the console's Content-Security-Policy would (rightly) refuse it.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${gateway.url}/console/`);
  expect(await violations(page), 'the sign-in form').toEqual([]);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-ready="true"]').waitFor();
  return page;
}

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 2, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(gatewayConfig());
  await gateway.tenancy.createTenant({ name: 'platform', budgets: [{ period: 'day', limitUsd: 500, soft: [0.5, 0.8], timeZone: 'UTC', reset: { hour: 0, minute: 0 } }] });
  const { key } = await gateway.tenancy.createKey({ tenant: 'platform', name: 'ci' });
  for (let i = 0; i < 5; i++) {
    const answer = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: i % 2 === 0 ? 'gpt-5' : 'gpt-5-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(answer.status).toBe(200);
  }
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await upstream?.close();
});

describe('accessibility', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`every page passes axe's WCAG 2.1 AA rules in the ${scheme} scheme`, async () => {
      const page = await signedIn(scheme);
      for (const name of PAGES) {
        await showPage(page, name);
        if (name === 'Tenants & keys') {
          await page.getByRole('button', { name: 'platform', exact: true }).click();
          await page.getByTestId('keys').waitFor();
        }
        expect(await violations(page), name).toEqual([]);
        if (name === 'Tenants & keys') {
          await page.getByRole('button', { name: 'Create key' }).click();
          await page.getByTestId('key-dialog').waitFor();
          expect(await violations(page), 'the new key dialog').toEqual([]);
          await page.getByRole('button', { name: 'Done' }).click();
        }
      }
      await page.context().close();
    });
  }

  it('is checked by a check that finds problems: an unlabelled input is reported', async () => {
    const page = await signedIn('light');
    await page.evaluate(`document.querySelector('main').append(Object.assign(document.createElement('input'), { type: 'text' }))`);
    expect((await violations(page)).some((line) => line.startsWith('label '))).toBe(true);
    await page.context().close();
  });

  it('can be used from the keyboard alone: the navigation, a new key and its dialog, which keeps the focus and closes on Escape', async () => {
    const page = await signedIn('light');
    // Tab from the top of the page to the Tenants & keys link, and follow it.
    await page.keyboard.press('Tab');
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'Tenants & keys'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate('document.activeElement?.textContent?.trim() ?? ""');
    }
    expect(focused).toBe('Tenants & keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Tenants & keys' }).waitFor();
    await page.getByRole('button', { name: 'platform', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Key name').focus();
    await page.keyboard.type('typed');
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('key-dialog');
    await dialog.waitFor();
    // The focus stays inside the open dialog, however far one tabs.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate('Boolean(document.activeElement?.closest("[role=dialog]"))')).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-key-id]', { hasText: 'typed' }).count()).toBe(1);
    await page.context().close();
  });
});

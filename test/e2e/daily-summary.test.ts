/**
 * The daily billing summary through the real gateway: its ledger, its
 * durable outbox and a local webhook receiver. At start the gateway sends the
 * summary of the latest `daily_summary.at` that has passed — here yesterday's
 * usage, one notification per tenant that had any — and a restart in the same
 * day sends nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startHttpReceiver } from '../notifications/receivers.js';
import { until } from '../notifications/support.js';
import { usageRow } from '../reports/support/ledger-rows.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const HOOK = '/hooks/summary';
const DAY_MS = 86_400_000;

describe('the daily summary', () => {
  it("sends yesterday's report per tenant once, and nothing again after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-summary-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const storePath = join(dir, 'store.sqlite');
    // Yesterday (UTC): two tenants spent; the day before, a third one (not in this summary).
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const yesterday = new Date(today - DAY_MS).toISOString().slice(0, 10);
    const ledger = SqliteUsageLedger.open(storePath);
    ledger.append(usageRow({ time: today - DAY_MS + 3_600_000, tenant: 'team-a', keyId: 'k1', costUsd: 1.25 }));
    ledger.append(usageRow({ time: today - DAY_MS + 7_200_000, tenant: 'team-a', keyId: 'k2', costUsd: 0.75, estimated: true }));
    ledger.append(usageRow({ time: today - 60_000, tenant: 'team-b', costUsd: 2 }));
    ledger.append(usageRow({ time: today - 2 * DAY_MS + 60_000, tenant: 'team-c', costUsd: 9 }));
    await ledger.close();

    const receiver = await startHttpReceiver();
    cleanups.push(() => receiver.close());
    const cfg: GatewayConfig = {
      ...config([provider({ name: 'local', kind: 'mock' })], [model('m', ['local/m'])]),
      store: { kind: 'sqlite', path: storePath },
      // 00:00 UTC has always passed today: the start sends yesterday's summary.
      notifications: { webhook: { url: `${receiver.url}${HOOK}` }, dailySummary: { at: { hour: 0, minute: 0 }, timeZone: 'UTC' } },
    };
    const first = await startTestGateway(cfg);
    await until(() => receiver.accepted(HOOK).length >= 2, 'two summaries');
    await first.close();
    const second = await startTestGateway(cfg);
    // Long enough for the restarted scheduler to offer the same summaries again (the outbox drops them).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await second.close();

    const posts = receiver.accepted(HOOK).map((p) => p.body as { id: string; kind: string; tenant: string; subject: string; data: { totals: { cost_usd: number; estimated: { cost_usd: number } } } });
    expect(posts.map((p) => p.id).sort()).toEqual([`summary:team-a:${yesterday}`, `summary:team-b:${yesterday}`]);
    expect(posts.every((p) => p.kind === 'daily_summary')).toBe(true);
    const a = posts.find((p) => p.tenant === 'team-a')!;
    expect(a.data.totals.cost_usd).toBeCloseTo(2, 9);
    expect(a.data.totals.estimated.cost_usd).toBeCloseTo(0.75, 9);
    expect(a.subject).toContain('team-a');
  });
});

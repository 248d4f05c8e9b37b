/**
 * Budget alerts delivered by the real gateway over HTTP to real receivers: a
 * local HTTP server as the Slack and generic webhooks, a local SMTP server
 * for e-mail. Calls cross 50 %, 80 % and 100 % of a tenant's daily budget;
 * each channel gets each alert exactly once, also when its first delivery
 * fails (retried), across a restart in the same period (the spend is read
 * back from the ledger, the thresholds are crossed again, nothing is sent
 * twice), and when a refusal raises the exhausted alert.
 *
 * Prices: output $1,000 per million tokens ($0.001 a token), input free; the
 * budget is $1 a day, so a call's cost is its completion tokens / 1,000. The
 * upstream reports as many completion tokens as the prompt asks for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetConfig, GatewayConfig, NotificationsConfig, TenantConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../notifications/receivers.js';
import { until } from '../notifications/support.js';
import { replyJson, startOpenAIUpstream, type RecordedRequest } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-notify-'));
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  rmSync(dir, { recursive: true, force: true });
});

const SLACK_PATH = '/services/T000/B000/slack-secret-path';
const HOOK_PATH = '/hooks/tollgate';
const SMTP_PASSWORD = 'smtp-pass-9f3a';
const DAILY: BudgetConfig = { period: 'day', limitUsd: 1, soft: [0.5, 0.8], timeZone: 'UTC', reset: { hour: 0, minute: 0 } };

/** A Chat upstream whose usage is the number of completion tokens the prompt names ("spend 500"). */
function answer(req: RecordedRequest, res: ServerResponse): void {
  const body = req.body as { messages: Array<{ content: string }> };
  const tokens = Number(/spend (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1] ?? 1);
  replyJson(res, 200, {
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'priced',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: tokens, total_tokens: tokens + 3 },
  });
}

interface Receivers {
  readonly http: HttpReceiver;
  readonly smtp: SmtpReceiver;
  readonly notifications: NotificationsConfig;
}

async function receivers(failFirst: number): Promise<Receivers> {
  const http = await startHttpReceiver({ failFirst });
  const smtp = await startSmtpReceiver({ failFirst });
  cleanups.push(() => http.close(), () => smtp.close());
  return {
    http,
    smtp,
    notifications: {
      slack: { webhookUrl: `${http.url}${SLACK_PATH}` },
      webhook: { url: `${http.url}${HOOK_PATH}`, headers: { authorization: 'Bearer hook-token' } },
      email: { smtpUrl: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`, from: 'tollgate@example.com', to: ['finops@example.com', 'ops@example.com'] },
    },
  };
}

const tenant = (name: string, budget: BudgetConfig): TenantConfig => ({ name, models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [budget] });

/** `logs` receives the gateway's log lines (the array fills as it logs). */
async function gateway(notifications: NotificationsConfig, storePath: string, tenants: TenantConfig[], logs?: string[][]): Promise<Gateway> {
  const upstream = await startOpenAIUpstream(answer);
  cleanups.push(() => upstream.close());
  const base = config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('priced', ['up/priced'])]);
  const cfg: GatewayConfig = {
    ...base,
    store: { kind: 'sqlite', path: storePath },
    pricing: { useDefaults: false, models: [{ provider: 'up', model: 'priced', input: 0, output: 1_000 }] },
    tenants,
    notifications,
  };
  const captured = capturedLog('info');
  const started = await startTestGateway(cfg, { log: captured.log });
  logs?.push(captured.lines);
  cleanups.push(() => started.close());
  return started;
}

/** A call that reserves `maxTokens` × $0.001 and costs `spend` × $0.001. */
async function call(gw: Gateway, key: string, maxTokens: number, spend: number): Promise<number> {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'priced', max_tokens: maxTokens, messages: [{ role: 'user', content: `spend ${spend}` }] }),
  });
  await response.text();
  return response.status;
}

/** The notification ids each channel accepted, in order (a Slack message is known by its subject, the webhook's JSON says whose id it is). */
function delivered(r: Receivers): { slack: string[]; webhook: string[]; email: string[] } {
  const idOf = new Map(r.http.accepted(HOOK_PATH).map((post) => [String(post.body['subject']), String(post.body['id'])]));
  return {
    slack: r.http.accepted(SLACK_PATH).map((post) => {
      const blocks = post.body['blocks'] as Array<{ text: { text: string } }>;
      return idOf.get(blocks[0]!.text.text) ?? `? ${blocks[0]!.text.text}`;
    }),
    webhook: r.http.accepted(HOOK_PATH).map((post) => String(post.body['id'])),
    email: r.smtp.mails.map((mail) => mail.header('x-tollgate-notification-id') ?? '?'),
  };
}

async function metric(gw: Gateway, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
}

function periodStart(): string {
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  return start.toISOString();
}

describe('budget alerts on every channel', () => {
  it('50 %, 80 % and 100 %: each channel gets each alert once, the first failed delivery retried, nothing twice across a restart', async () => {
    const r = await receivers(1);
    const storePath = join(dir, 'store.sqlite');
    const logs: string[][] = [];
    const first = await gateway(r.notifications, storePath, [tenant('team', DAILY)], logs);
    const { key } = await first.tenancy.createKey({ tenant: 'team' });
    const id = (share: number): string => `budget:tenant:team:day:${periodStart()}:${share}`;

    expect(await call(first, key, 600, 500)).toBe(200);
    await until(() => delivered(r).email.length === 1 && delivered(r).slack.length === 1 && delivered(r).webhook.length === 1, 'the 50% alert on every channel');
    // The first attempt of each channel failed and was retried.
    expect(r.http.posts.filter((p) => p.status === 500).map((p) => p.path)).toEqual(expect.arrayContaining([SLACK_PATH, HOOK_PATH]));
    expect(r.smtp.rejected).toBe(1);

    expect(await call(first, key, 400, 300)).toBe(200);
    await until(() => delivered(r).email.length === 2 && delivered(r).slack.length === 2 && delivered(r).webhook.length === 2, 'the 80% alert on every channel');
    expect(await metric(first, /^tollgate_budget_used_ratio\{tenant="team",budget="tenant:team:day"\}/)).toBeCloseTo(0.8, 9);
    expect(await metric(first, /^tollgate_notifications_total\{channel="slack",kind="budget_threshold",outcome="retried"\}/)).toBe(1);

    // A restart in the same period: 80 % is read back from the ledger.
    const ref = first.budgets.book.statuses()[0]!.ref;
    await first.close();
    const second = await gateway(r.notifications, storePath, [tenant('team', DAILY)], logs);
    expect((await second.budgets.status(ref)).settledUsd).toBeCloseTo(0.8, 9);
    // This settle crosses 50 %, 80 % and 100 % again in the listener's eyes: only 100 % is new.
    expect(await call(second, key, 200, 200)).toBe(200);
    // Used up: refused, and the exhausted alert is already raised.
    expect(await call(second, key, 10, 10)).toBe(429);
    await until(() => delivered(r).email.length === 3 && delivered(r).slack.length === 3 && delivered(r).webhook.length === 3, 'the 100% alert on every channel');
    await until(async () => (await metric(second, /^tollgate_notifications_pending /)) === 0, 'an empty outbox');
    expect(delivered(r)).toEqual({ slack: [id(0.5), id(0.8), id(1)], webhook: [id(0.5), id(0.8), id(1)], email: [id(0.5), id(0.8), id(1)] });
    expect(await metric(second, /^tollgate_budget_used_ratio\{tenant="team",budget="tenant:team:day"\}/)).toBeCloseTo(1, 9);
    expect(await metric(second, /^tollgate_budget_limit_usd\{tenant="team",budget="tenant:team:day"\}/)).toBe(1);
    expect(await metric(second, /^tollgate_budget_spent_usd\{tenant="team",budget="tenant:team:day"\}/)).toBeCloseTo(1, 9);

    // What each receiver got for the exhausted alert.
    const hook = r.http.accepted(HOOK_PATH).at(-1)!;
    expect(hook.headers['authorization']).toBe('Bearer hook-token');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.body).toMatchObject({
      id: id(1),
      kind: 'budget_exhausted',
      tenant: 'team',
      subject: "Tollgate: the daily budget of tenant 'team' ($1.00) is used up",
      data: { budget_id: 'tenant:team:day', limit_usd: 1, threshold: 1, refused: false, period_start: periodStart() },
    });
    expect(Date.parse(String(hook.body['created_at']))).toBeGreaterThan(Date.now() - 60_000);
    const slack = r.http.accepted(SLACK_PATH).at(-1)!.body as { text: string; blocks: Array<{ type: string; text: { text: string } }> };
    expect(slack.text.startsWith("*Tollgate: the daily budget of tenant 'team' ($1.00) is used up*\nThe daily budget of tenant 'team' is used up")).toBe(true);
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section']);
    const mail = r.smtp.mails.at(-1)!;
    expect(mail).toMatchObject({ from: 'tollgate@example.com', to: ['finops@example.com', 'ops@example.com'], user: 'alerts' });
    expect(mail.header('subject')).toBe("Tollgate: the daily budget of tenant 'team' ($1.00) is used up");
    expect(mail.raw).toContain('What to do: Calls of tenant');

    // No secret of a channel URL in any log line; the hosts are there.
    await second.close();
    const log = logs.flat().join('\n');
    expect(log).toContain('notification delivered');
    expect(log).toContain('failed; it is retried');
    expect(log).not.toContain(SLACK_PATH);
    expect(log).not.toContain('slack-secret-path');
    expect(log).not.toContain(SMTP_PASSWORD);
  });

  it('a refusal below the limit raises the exhausted alert, once', async () => {
    const r = await receivers(0);
    const gw = await gateway(r.notifications, join(dir, 'store.sqlite'), [tenant('small', { ...DAILY, soft: [0.5] })]);
    const { key } = await gw.tenancy.createKey({ tenant: 'small' });
    // Could cost $2 of a $1 budget: refused with nothing spent.
    expect(await call(gw, key, 2_000, 1)).toBe(429);
    expect(await call(gw, key, 2_000, 1)).toBe(429);
    await until(() => delivered(r).email.length === 1 && delivered(r).slack.length === 1 && delivered(r).webhook.length === 1, 'the exhausted alert');
    // Spending past 50 % now raises nothing more: the budget was already reported exhausted.
    expect(await call(gw, key, 600, 600)).toBe(200);
    await until(async () => (await metric(gw, /^tollgate_notifications_pending /)) === 0, 'an empty outbox');
    const id = `budget:tenant:small:day:${periodStart()}:1`;
    expect(delivered(r)).toEqual({ slack: [id], webhook: [id], email: [id] });
    expect(r.http.accepted(HOOK_PATH)[0]!.body).toMatchObject({ kind: 'budget_exhausted', data: { refused: true, spent_usd: 0 } });
    expect(r.smtp.mails[0]!.raw).toContain("A call of tenant 'small' was refused: its daily budget cannot hold it.");
  });
});

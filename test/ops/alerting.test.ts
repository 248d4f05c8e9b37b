/**
 * The whole alerting path with real processes: upstream failures through a
 * Tollgate gateway -> metrics scraped by Prometheus -> the shipped
 * TollgateHighErrorRate rule -> the shipped Alertmanager routes -> the Slack
 * receiver (a local webhook here). Only timings differ from production: 1 s
 * scrape, evaluation and grouping, and the alert's `for` cut to 2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { requireBinary, waitFor } from './support/processes.js';
import type { Daemon } from './support/processes.js';
import { startAlertmanager, startPrometheus, writeRulesWithFor } from './support/stack.js';
import type { Prometheus } from './support/stack.js';
import { chat } from './support/traffic.js';
import { firing, startWebhookReceiver } from './support/webhook.js';
import type { WebhookAlert, WebhookReceiver } from './support/webhook.js';

const ALERT = 'TollgateHighErrorRate';
/** From the first failed request to the notification at the receiver. */
const NOTIFICATION_BUDGET_MS = 60_000;

let dir: string;
let gateway: Gateway | undefined;
let receiver: WebhookReceiver | undefined;
let alertmanager: Daemon | undefined;
let prometheus: Prometheus | undefined;

beforeAll(async () => {
  requireBinary('prometheus');
  requireBinary('prometheus-alertmanager');
  dir = mkdtempSync(join(tmpdir(), 'tollgate-alerting-'));
  gateway = await startTestGateway(
    config(
      [provider({ name: 'demo', kind: 'mock' })],
      [model('demo-model', ['demo/demo-model']), model('flaky-model', ['demo/flaky-model'])],
    ),
  );
  receiver = await startWebhookReceiver();
  alertmanager = await startAlertmanager(dir, receiver.url);
  const rules = writeRulesWithFor(dir, { [ALERT]: '2s' });
  prometheus = await startPrometheus({
    dir,
    targets: [new URL(gateway.url).host],
    ruleFiles: [rules],
    alertmanager: new URL(alertmanager.url).host,
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await receiver?.close();
  await gateway?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a burst of upstream errors', () => {
  it(
    `reaches the Slack receiver as ${ALERT} within ${NOTIFICATION_BUDGET_MS / 1000} s`,
    async () => {
      const gw = gateway;
      const hook = receiver;
      if (!gw || !hook || !prometheus) throw new Error('the stack did not start');
      const started = Date.now();
      let stop = false;
      const statuses = new Map<number, number>();
      // Four failing calls for every successful one (80 % errors), every 200 ms
      // until the alert arrives: the counters must grow between scrapes for
      // rate() to see them.
      const traffic = (async () => {
        while (!stop) {
          const batch = await Promise.all([
            chat(gw.url, 'demo-model', 'fine'),
            ...Array.from({ length: 4 }, () => chat(gw.url, 'flaky-model', 'boom [mock:status=503]')),
          ]);
          for (const { status } of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
          await sleep(200);
        }
      })();

      let alerts: WebhookAlert[];
      try {
        alerts = await waitFor(
          `${ALERT} at the Slack receiver`,
          NOTIFICATION_BUDGET_MS,
          () => {
            const found = firing(hook, 'tollgate-slack', ALERT);
            return found.length > 0 ? found : undefined;
          },
          prometheus,
        );
      } catch (error) {
        const rules = await fetch(`${prometheus.url}/api/v1/rules?type=alert`).then((r) => r.text());
        const seen = JSON.stringify(Object.fromEntries(hook.received));
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\nstatuses sent: ${JSON.stringify([...statuses])}\nPrometheus alert rules: ${rules}\nwebhooks received: ${seen}\n--- alertmanager output:\n${alertmanager?.output() ?? ''}`,
        );
      } finally {
        stop = true;
        await traffic;
      }

      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(NOTIFICATION_BUDGET_MS);
      // The failures really were gateway errors (5xx), and the alert says what the rules file says.
      expect([...statuses.keys()].some((status) => status >= 500)).toBe(true);
      const alert = alerts[0];
      expect(alert?.labels).toMatchObject({ alertname: ALERT, severity: 'ticket', team: 'tollgate' });
      expect(alert?.annotations.summary).toMatch(/^Tollgate error rate is \d+(\.\d+)?%$/);
      expect(alert?.annotations.runbook).toContain('docs/observability.md#tollgatehigherrorrate');
      // Routed to Slack only, not to the pager.
      expect(firing(hook, 'tollgate-pagerduty', ALERT)).toEqual([]);
    },
    NOTIFICATION_BUDGET_MS + 15_000,
  );
});

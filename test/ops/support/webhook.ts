/**
 * A local HTTP endpoint standing in for Slack and PagerDuty: Alertmanager's
 * webhook notifier posts its JSON payload here, one path per receiver.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The parts of Alertmanager's webhook payload (version 4) the tests read. */
export interface WebhookAlert {
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface WebhookNotification {
  readonly receiver: string;
  readonly status: string;
  readonly alerts: readonly WebhookAlert[];
}

export interface WebhookReceiver {
  readonly url: string;
  /** Notifications received so far, by request path without the leading slash. */
  readonly received: ReadonlyMap<string, readonly WebhookNotification[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received = new Map<string, WebhookNotification[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').slice(1);
      try {
        const notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookNotification;
        const list = received.get(path) ?? [];
        list.push(notification);
        received.set(path, list);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Firing alerts with this name among the notifications sent to one receiver. */
export function firing(receiver: WebhookReceiver, path: string, alertname: string): WebhookAlert[] {
  return (receiver.received.get(path) ?? []).flatMap((n) => n.alerts.filter((a) => a.status === 'firing' && a.labels.alertname === alertname));
}

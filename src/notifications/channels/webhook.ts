/**
 * The generic webhook: each notification POSTed as one JSON object with the
 * configured headers. `id` is stable across retries and replicas, so a
 * receiver can drop a notification it has already seen.
 */
import type { Notification } from '../contracts.js';
import { hostOf, type Channel } from './channel.js';
import type { JsonPoster } from './http-post.js';

export interface WebhookBody {
  readonly id: string;
  readonly kind: Notification['kind'];
  readonly tenant: string;
  readonly subject: string;
  readonly text: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** ISO 8601, UTC. */
  readonly created_at: string;
}

export function webhookBody(notification: Notification): WebhookBody {
  return {
    id: notification.id,
    kind: notification.kind,
    tenant: notification.tenant,
    subject: notification.subject,
    text: notification.text,
    data: notification.data,
    created_at: new Date(notification.createdAt).toISOString(),
  };
}

export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  readonly target: string;

  constructor(
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly poster: JsonPoster,
  ) {
    this.target = hostOf(url);
  }

  send(notification: Notification, signal: AbortSignal): Promise<void> {
    return this.poster.post(this.url, webhookBody(notification), this.headers, signal);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

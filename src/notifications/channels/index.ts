/** The channels the `notifications` block configures, in a fixed order: slack, webhook, email. */
import type { NotificationsConfig } from '../../config/types.js';
import type { Channel } from './channel.js';
import { EmailChannel } from './email.js';
import { JsonPoster } from './http-post.js';
import { SlackChannel } from './slack.js';
import { WebhookChannel } from './webhook.js';

export { DeliveryError, type Channel } from './channel.js';

export interface ChannelTimeouts {
  readonly httpMs?: number;
  readonly smtpMs?: number;
}

export interface ChannelSet {
  readonly channels: readonly Channel[];
  /** Closes every channel and the HTTP pool they share. */
  close(): Promise<void>;
}

export function createChannels(config: NotificationsConfig, timeouts: ChannelTimeouts = {}): ChannelSet {
  const channels: Channel[] = [];
  // One pool for both webhooks: a handful of connections, idle most of the time.
  const poster = config.slack !== undefined || config.webhook !== undefined ? new JsonPoster(timeouts.httpMs) : undefined;
  if (config.slack !== undefined && poster !== undefined) channels.push(new SlackChannel(config.slack.webhookUrl, poster));
  if (config.webhook !== undefined && poster !== undefined) channels.push(new WebhookChannel(config.webhook.url, config.webhook.headers ?? {}, poster));
  if (config.email !== undefined) channels.push(new EmailChannel(config.email, timeouts.smtpMs));
  return {
    channels,
    async close() {
      await Promise.allSettled(channels.map((channel) => channel.close()));
      await poster?.close();
    },
  };
}

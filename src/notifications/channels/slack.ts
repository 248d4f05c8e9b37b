/**
 * A Slack incoming webhook (or a compatible one: Mattermost, Rocket.Chat,
 * Microsoft Teams workflows accepting Slack payloads). `text` holds the whole
 * message in mrkdwn, for receivers that ignore blocks and for Slack's
 * notification preview; `blocks` lay it out in Slack: a header with the
 * subject, a section with the body.
 */
import type { Notification } from '../contracts.js';
import { hostOf, type Channel } from './channel.js';
import type { JsonPoster } from './http-post.js';

/** Slack's limits: a header's plain text, a section's mrkdwn text. */
const HEADER_CHARS = 150;
const SECTION_CHARS = 3_000;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function slackPayload(notification: Notification): { text: string; blocks: unknown[] } {
  return {
    text: `*${notification.subject}*\n${notification.markdown}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(notification.subject, HEADER_CHARS) } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(notification.markdown, SECTION_CHARS) } },
    ],
  };
}

export class SlackChannel implements Channel {
  readonly name = 'slack' as const;
  readonly target: string;

  constructor(
    private readonly webhookUrl: string,
    private readonly poster: JsonPoster,
  ) {
    this.target = hostOf(webhookUrl);
  }

  send(notification: Notification, signal: AbortSignal): Promise<void> {
    return this.poster.post(this.webhookUrl, slackPayload(notification), {}, signal);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

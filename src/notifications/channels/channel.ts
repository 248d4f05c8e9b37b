/**
 * A place notifications are sent to: a Slack-compatible incoming webhook, a
 * generic JSON webhook, or e-mail over SMTP. A channel sends one notification
 * and says whether it arrived; retrying is the outbox's job.
 *
 * Channel URLs hold secrets (a Slack webhook's path is its credential, an
 * SMTP URL its password): a channel shows only its host (`target`), and its
 * errors never quote the URL.
 */
import type { Notification } from '../contracts.js';
import type { ChannelName } from '../store.js';

export interface Channel {
  readonly name: ChannelName;
  /** Where it sends, safe to log: host and port, never the path or credentials. */
  readonly target: string;
  /** Resolves when the receiver accepted the notification; rejects with a DeliveryError otherwise. */
  send(notification: Notification, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A delivery the receiver refused or that did not reach it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** The receiver's answer: an HTTP status or an SMTP reply code. */
    readonly status?: number,
    /** The start of the receiver's answer, for the logs. */
    readonly excerpt?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Longest excerpt of a receiver's answer kept for the logs and the store. */
export const EXCERPT_CHARS = 200;

/** `host:port` of a URL: what the logs may show. */
export function hostOf(url: string): string {
  return new URL(url).host;
}

/**
 * An error's message with the URL's secret parts removed: some network
 * errors quote what they were asked to reach.
 */
export function scrub(message: string, url: string): string {
  const parsed = new URL(url);
  let text = message.split(url).join(parsed.host);
  for (const secret of [parsed.pathname.length > 1 ? parsed.pathname : '', parsed.search, parsed.password, parsed.username]) {
    if (secret !== '') text = text.split(secret).join('…');
  }
  return text;
}

export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/**
 * What the rest of the gateway hands to the notification channels (Slack,
 * webhook, e-mail): a budget alert or a daily summary, each with an id that
 * makes it unique for ever, so that it is delivered once even when it is
 * raised again (a second replica, a restart in the same period).
 */

export type NotificationKind = 'budget_threshold' | 'budget_exhausted' | 'daily_summary';

export interface Notification {
  /**
   * Unique for ever: a notification with an id already queued is dropped.
   * `budget:<budget id>:<period start ISO>:<share>` for alerts,
   * `summary:<tenant>:<YYYY-MM-DD>` for daily summaries.
   */
  readonly id: string;
  readonly kind: NotificationKind;
  readonly tenant: string;
  /** One line: the e-mail subject, the first line of a Slack message. */
  readonly subject: string;
  /** Plain text: the e-mail body. */
  readonly text: string;
  /** The same in Markdown (Slack's mrkdwn subset: *bold*, `code`, lists). */
  readonly markdown: string;
  /** The machine-readable payload, sent as `data` of the generic webhook's JSON. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Epoch ms when it was raised. */
  readonly createdAt: number;
}

/** Accepts notifications and delivers them to every configured channel, durably and at most once each. */
export interface Notifier {
  /** Resolves once the notification is stored (or known already); delivery happens in the background, retried with backoff. */
  notify(notification: Notification): Promise<void>;
}

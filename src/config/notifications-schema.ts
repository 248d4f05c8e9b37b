/**
 * The `notifications` block: where budget alerts and daily billing summaries
 * go. Every channel is optional; with none, nothing is sent.
 *
 *   notifications:
 *     slack: { webhook_url: "${SLACK_WEBHOOK_URL}" }
 *     webhook: { url: "https://billing.example.com/hooks/tollgate", headers: { authorization: "Bearer ${HOOK_TOKEN}" } }
 *     email: { smtp_url: "${SMTP_URL}", from: "tollgate@example.com", to: ["finops@example.com"] }
 *     daily_summary: { at: "08:00", timezone: Europe/Berlin }
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { endpoint, headers, strictMapping } from './fields.js';
import type { NotificationsConfig } from './types.js';

const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { error: 'expected an e-mail address such as finops@example.com' });

export const notificationsSchema = strictMapping(
  {
    slack: strictMapping({ webhook_url: endpoint('a Slack incoming-webhook URL', ['https', 'http']) }, { expected: 'a slack mapping (webhook_url)' }).optional(),
    webhook: strictMapping({ url: endpoint('a webhook URL', ['https', 'http']), headers: headers.optional() }, { expected: 'a webhook mapping (url, headers)' }).optional(),
    email: strictMapping(
      {
        smtp_url: endpoint('an SMTP server URL', ['smtp', 'smtps']),
        from: address,
        to: z.array(address).min(1, { error: 'expected at least one recipient' }),
      },
      { expected: 'an email mapping (smtp_url, from, to)' },
    ).optional(),
    daily_summary: strictMapping(
      {
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day, HH:MM (24-hour)' })
          .default('08:00'),
        timezone: z
          .string()
          .refine((zone) => IANAZone.isValidZone(zone), { error: 'expected an IANA time zone such as UTC or Europe/Berlin' })
          .default('UTC'),
      },
      { expected: 'a daily_summary mapping (at, timezone)' },
    ).optional(),
  },
  { expected: 'a notifications mapping (slack, webhook, email, daily_summary)' },
).transform(
  (n): NotificationsConfig => ({
    ...(n.slack === undefined ? {} : { slack: { webhookUrl: n.slack.webhook_url.trim() } }),
    ...(n.webhook === undefined ? {} : { webhook: { url: n.webhook.url.trim(), ...(n.webhook.headers === undefined ? {} : { headers: n.webhook.headers }) } }),
    ...(n.email === undefined ? {} : { email: { smtpUrl: n.email.smtp_url.trim(), from: n.email.from, to: n.email.to } }),
    ...(n.daily_summary === undefined
      ? {}
      : { dailySummary: { at: { hour: Number(n.daily_summary.at.slice(0, 2)), minute: Number(n.daily_summary.at.slice(3)) }, timeZone: n.daily_summary.timezone } }),
  }),
);

/**
 * The notifications of a gateway, assembled from the `notifications` block:
 * the configured channels, the durable outbox in front of them (its worker
 * started), and the budget alerts that feed it. With no channel configured
 * nothing is stored or sent, and the store is not opened.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BudgetListener } from '../budgets/budget-book.js';
import type { NotificationsConfig } from '../config/types.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { Clock } from '../util/clock.js';
import { systemRandom, type RandomSource } from '../util/random.js';
import type { RetrySchedule } from './backoff.js';
import { BudgetAlerts } from './budget-alerts.js';
import { createChannels, type ChannelTimeouts } from './channels/index.js';
import type { Notifier } from './contracts.js';
import { Outbox } from './outbox.js';
import type { NotificationStore } from './store.js';

export interface NotificationsOptions {
  readonly config: NotificationsConfig;
  /** Opens the outbox's store; called only when a channel is configured. */
  readonly openStore: () => NotificationStore;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  /** Epoch ms (stored times outlive the process); default Date.now. */
  readonly now?: () => number;
  readonly random?: RandomSource;
  /** Tests shorten these; production uses the defaults. */
  readonly schedule?: RetrySchedule;
  readonly timeouts?: ChannelTimeouts;
  readonly pollMs?: number;
  readonly leaseMs?: number;
}

export interface Notifications {
  /** Stores a notification for every channel (durably, once per id); delivery happens in the background. */
  readonly notifier: Notifier;
  /** The budget book's listener: alerts at the soft thresholds and at the limit. */
  readonly budgetListener: BudgetListener;
  /** The channels notifications go to (empty: none configured). */
  readonly channels: readonly string[];
  /** Stops the worker, letting a send in flight finish (up to `waitMs`), then closes the channels and the store. */
  close(waitMs?: number): Promise<void>;
}

/** The worker's waits never keep the process alive: the gateway's close stops it. */
function outboxClock(now: () => number): Clock {
  return { now, sleep: (ms, signal) => sleepFor(Math.max(0, ms), undefined, { signal, ref: false }) };
}

export function openNotifications(options: NotificationsOptions): Notifications {
  const { config, log, metrics } = options;
  const now = options.now ?? Date.now;
  const set = createChannels(config, options.timeouts);
  const store = set.channels.length === 0 ? undefined : options.openStore();
  const channelLog = log.child({ component: 'notifications' });
  const outbox =
    store === undefined
      ? undefined
      : new Outbox({
          store,
          channels: set.channels,
          log: channelLog,
          clock: outboxClock(now),
          random: options.random ?? systemRandom,
          ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
          ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
          ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
          onOutcome: (channel, kind, outcome) => metrics.notifications.inc({ channel, kind, outcome }),
        });
  const notifier: Notifier = outbox ?? { notify: () => Promise.resolve() };
  if (outbox !== undefined) {
    metrics.notificationsBacklog = () => outbox.backlog().catch(() => 0);
    outbox.start();
    channelLog.info({ channels: set.channels.map((c) => ({ channel: c.name, target: c.target })) }, 'notification channels ready');
  }
  let closing: Promise<void> | undefined;
  return {
    notifier,
    budgetListener: new BudgetAlerts(notifier, channelLog, now),
    channels: set.channels.map((channel) => channel.name),
    close(waitMs?: number): Promise<void> {
      closing ??= (async () => {
        await outbox?.close(waitMs);
        await set.close();
        await store?.close();
      })();
      return closing;
    },
  };
}

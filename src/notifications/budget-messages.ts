/**
 * The words of a budget alert, for a finance or operations reader: whose
 * budget, which one (daily or monthly, its limit), what is spent, the share
 * that was crossed, when the budget is whole again (in its own time zone and
 * in UTC), and what to do. The same facts go, machine-readable, into `data`.
 */
import { DateTime } from 'luxon';
import type { BudgetStatus } from '../budgets/budget-book.js';
import type { Notification } from './contracts.js';

/** What made the alert: spend that crossed `share` of the limit, or a call refused because the budget could not hold it. */
export interface BudgetAlertCause {
  /** The threshold, a share of the limit; 1 is the limit itself. */
  readonly share: number;
  readonly refused: boolean;
}

const usd = (amount: number): string => `$${amount.toFixed(amount >= 1 || amount === 0 ? 2 : 4)}`;
const percent = (ratio: number): string => `${Number((ratio * 100).toFixed(1))}%`;

/** `tenant 'team-a'` or `key abc123 of tenant 'team-a'`. */
function owner(status: BudgetStatus): string {
  const { ref } = status;
  return ref.scope === 'tenant' ? `tenant '${ref.owner}'` : `key ${ref.owner} of tenant '${ref.tenant}'`;
}

function local(epochMs: number, zone: string): string {
  return DateTime.fromMillis(epochMs, { zone }).toFormat('yyyy-LL-dd HH:mm ZZ');
}

/** The notification id: one per budget, period and threshold, for ever. */
export function budgetAlertId(status: BudgetStatus, share: number): string {
  return `budget:${status.ref.id}:${new Date(status.periodStart).toISOString()}:${share}`;
}

export function budgetAlert(status: BudgetStatus, cause: BudgetAlertCause, now: number): Notification {
  const { ref } = status;
  const zone = ref.config.timeZone;
  const period = ref.config.period === 'day' ? 'daily' : 'monthly';
  const who = owner(status);
  const exhausted = cause.share >= 1;
  const used = status.settledUsd / status.limitUsd;
  const resetsLocal = local(status.resetsAt, zone);
  const resetsUtc = new Date(status.resetsAt).toISOString();
  const spent = `${usd(status.settledUsd)} of ${usd(status.limitUsd)} (${percent(used)})`;
  const held = status.reservedUsd > 0 ? `; ${usd(status.reservedUsd)} more is held by calls in flight` : '';

  const subject = exhausted
    ? `Tollgate: the ${period} budget of ${who} (${usd(status.limitUsd)}) is used up`
    : `Tollgate: ${who} has used ${percent(cause.share)} of its ${period} budget (${usd(status.settledUsd)} of ${usd(status.limitUsd)})`;
  const lead = exhausted
    ? cause.refused
      ? `A call of ${who} was refused: its ${period} budget cannot hold it. Spent so far: ${spent}${held}.`
      : `The ${period} budget of ${who} is used up: ${spent} spent.`
    : `${who[0]!.toUpperCase()}${who.slice(1)} has spent ${spent} of its ${period} budget, past the ${percent(cause.share)} alert threshold.`;
  const action = exhausted
    ? `Calls of ${who} that could cost more than what is left are refused (HTTP 429) until the budget resets at ${resetsLocal}. To let them through sooner, raise limit_usd of this budget in the gateway configuration.`
    : `Nothing to do if this spend is expected. Once the budget is used up, calls are refused (HTTP 429) until it resets; to allow more, raise limit_usd of this budget in the gateway configuration.`;
  const facts: ReadonlyArray<readonly [string, string]> = [
    ['Budget', `${period}, ${usd(status.limitUsd)}, ${who} (id ${ref.id})`],
    ['Spent this period', `${usd(status.settledUsd)} (${percent(used)})${held === '' ? '' : `, ${usd(status.reservedUsd)} held by calls in flight`}`],
    ['Period', `${local(status.periodStart, zone)} to ${resetsLocal}, time zone ${zone}`],
    ['Resets', `${resetsLocal} = ${resetsUtc}`],
  ];

  return {
    id: budgetAlertId(status, cause.share),
    kind: exhausted ? 'budget_exhausted' : 'budget_threshold',
    tenant: ref.tenant,
    subject,
    text: [lead, '', ...facts.map(([name, value]) => `${name}: ${value}`), '', `What to do: ${action}`].join('\n'),
    markdown: [lead, '', ...facts.map(([name, value]) => `• *${name}:* ${value}`), '', `*What to do:* ${action}`].join('\n'),
    data: {
      budget_id: ref.id,
      scope: ref.scope,
      owner: ref.owner,
      tenant: ref.tenant,
      period: ref.config.period,
      timezone: zone,
      limit_usd: status.limitUsd,
      spent_usd: status.settledUsd,
      reserved_usd: status.reservedUsd,
      used_ratio: used,
      threshold: cause.share,
      refused: cause.refused,
      period_start: new Date(status.periodStart).toISOString(),
      resets_at: resetsUtc,
    },
    createdAt: now,
  };
}

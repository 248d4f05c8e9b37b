/**
 * Budget alerts from the budget book's settles and refusals: each threshold
 * once per period, the limit's alert on a refusal, a new period re-arms them,
 * and the message a reader gets.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BudgetBook, type BudgetRef } from '../../src/budgets/budget-book.js';
import { BudgetAlerts } from '../../src/notifications/budget-alerts.js';
import type { Notification, Notifier } from '../../src/notifications/contracts.js';

const log = pino({ level: 'silent' });

const ref = (soft: number[], limitUsd = 10, scope: 'tenant' | 'key' = 'tenant', timeZone = 'UTC'): BudgetRef => ({
  id: scope === 'tenant' ? 'tenant:team-a:day' : 'key:k1:day',
  scope,
  owner: scope === 'tenant' ? 'team-a' : 'k1',
  tenant: 'team-a',
  config: { period: 'day', limitUsd, soft, timeZone, reset: { hour: 0, minute: 0 } },
});

class Recorder implements Notifier {
  readonly seen: Notification[] = [];
  notify(notification: Notification): Promise<void> {
    this.seen.push(notification);
    return Promise.resolve();
  }
}

function setup(budget: BudgetRef, start = '2026-12-05T12:00:00Z') {
  let now = Date.parse(start);
  const recorder = new Recorder();
  const book = new BudgetBook(() => now, new BudgetAlerts(recorder, log, () => now));
  const spend = (usd: number): void => {
    const held = book.reserve([budget], 0);
    if (!held.ok) throw new Error('expected a reservation');
    book.settle([budget], held.reservation, usd);
  };
  return { book, recorder, spend, at: (iso: string) => (now = Date.parse(iso)) };
}

describe('budget alerts', () => {
  it('raises each soft threshold and the limit once per period, in order', () => {
    const budget = ref([0.5, 0.8]);
    const { book, recorder, spend } = setup(budget);
    spend(4.9);
    expect(recorder.seen).toEqual([]);
    spend(0.1);
    spend(1);
    spend(2);
    spend(1.9);
    spend(0.2);
    // Used up: a refusal raises nothing new.
    expect(book.reserve([budget], 1).ok).toBe(false);
    expect(recorder.seen.map((n) => [n.id, n.kind])).toEqual([
      ['budget:tenant:team-a:day:2026-12-05T00:00:00.000Z:0.5', 'budget_threshold'],
      ['budget:tenant:team-a:day:2026-12-05T00:00:00.000Z:0.8', 'budget_threshold'],
      ['budget:tenant:team-a:day:2026-12-05T00:00:00.000Z:1', 'budget_exhausted'],
    ]);
  });

  it('raises every threshold one settle crosses', () => {
    const { recorder, spend } = setup(ref([0.5, 0.8]));
    spend(9);
    expect(recorder.seen.map((n) => n.data['threshold'])).toEqual([0.5, 0.8]);
  });

  it('a new period re-arms the thresholds', () => {
    const { recorder, spend, at } = setup(ref([0.5]));
    spend(6);
    at('2026-12-06T00:00:01Z');
    spend(1);
    expect(recorder.seen).toHaveLength(1);
    spend(5);
    expect(recorder.seen.map((n) => n.id)).toEqual(['budget:tenant:team-a:day:2026-12-05T00:00:00.000Z:0.5', 'budget:tenant:team-a:day:2026-12-06T00:00:00.000Z:0.5']);
  });

  it('a refusal raises the limit’s alert once, below the limit too; lower thresholds are then not raised', () => {
    const budget = ref([0.5, 0.8]);
    const { book, recorder, spend } = setup(budget);
    spend(3);
    expect(book.reserve([budget], 8).ok).toBe(false);
    expect(book.reserve([budget], 8).ok).toBe(false);
    spend(6);
    expect(recorder.seen.map((n) => [n.id, n.kind, n.data['refused']])).toEqual([['budget:tenant:team-a:day:2026-12-05T00:00:00.000Z:1', 'budget_exhausted', true]]);
    expect(recorder.seen[0]!.subject).toBe("Tollgate: the daily budget of tenant 'team-a' ($10.00) is used up");
    expect(recorder.seen[0]!.text).toContain("A call of tenant 'team-a' was refused: its daily budget cannot hold it. Spent so far: $3.00 of $10.00 (30%).");
  });

  it('says who, which budget, what is spent, when it resets and what to do', () => {
    const budget = ref([0.8], 500, 'key', 'Europe/Berlin');
    const { recorder, spend } = setup(budget, '2026-12-05T12:00:00Z');
    spend(400.5);
    const [alert] = recorder.seen;
    expect(alert).toMatchObject({
      id: 'budget:key:k1:day:2026-12-04T23:00:00.000Z:0.8',
      kind: 'budget_threshold',
      tenant: 'team-a',
      subject: "Tollgate: key k1 of tenant 'team-a' has used 80% of its daily budget ($400.50 of $500.00)",
      createdAt: Date.parse('2026-12-05T12:00:00Z'),
    });
    expect(alert!.text).toBe(
      [
        "Key k1 of tenant 'team-a' has spent $400.50 of $500.00 (80.1%) of its daily budget, past the 80% alert threshold.",
        '',
        "Budget: daily, $500.00, key k1 of tenant 'team-a' (id key:k1:day)",
        'Spent this period: $400.50 (80.1%)',
        'Period: 2026-12-05 00:00 +01:00 to 2026-12-06 00:00 +01:00, time zone Europe/Berlin',
        'Resets: 2026-12-06 00:00 +01:00 = 2026-12-05T23:00:00.000Z',
        '',
        'What to do: Nothing to do if this spend is expected. Once the budget is used up, calls are refused (HTTP 429) until it resets; to allow more, raise limit_usd of this budget in the gateway configuration.',
      ].join('\n'),
    );
    expect(alert!.markdown).toContain('• *Resets:* 2026-12-06 00:00 +01:00 = 2026-12-05T23:00:00.000Z');
    expect(alert!.data).toEqual({
      budget_id: 'key:k1:day',
      scope: 'key',
      owner: 'k1',
      tenant: 'team-a',
      period: 'day',
      timezone: 'Europe/Berlin',
      limit_usd: 500,
      spent_usd: 400.5,
      reserved_usd: 0,
      used_ratio: 0.801,
      threshold: 0.8,
      refused: false,
      period_start: '2026-12-04T23:00:00.000Z',
      resets_at: '2026-12-05T23:00:00.000Z',
    });
  });
});

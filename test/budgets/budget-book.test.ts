import { describe, expect, it } from 'vitest';
import { BudgetBook, type BudgetRef } from '../../src/budgets/budget-book.js';

const ref = (id: string, limitUsd: number, period: 'day' | 'month' = 'day', timeZone = 'UTC'): BudgetRef => ({
  id,
  scope: 'tenant',
  owner: id,
  tenant: id,
  config: { period, limitUsd, soft: [], timeZone, reset: { hour: 0, minute: 0 } },
});

describe('BudgetBook', () => {
  it('reserves against every budget or none, and says which one could not hold it', () => {
    const book = new BudgetBook(() => Date.parse('2026-12-05T12:00:00Z'));
    const tenant = ref('tenant', 10);
    const key = ref('key', 1);
    const first = book.reserve([tenant, key], 0.6);
    expect(first.ok).toBe(true);
    const second = book.reserve([tenant, key], 0.6);
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.status).toMatchObject({ ref: key, limitUsd: 1, reservedUsd: 0.6, remainingUsd: 0.4 });
    // Nothing was held on the tenant for the refused call.
    expect(book.status(tenant).reservedUsd).toBeCloseTo(0.6);
  });

  it('settles to the real cost and releases the reservation exactly', () => {
    const book = new BudgetBook(() => Date.parse('2026-12-05T12:00:00Z'));
    const tenant = ref('tenant', 1);
    const held = book.reserve([tenant], 0.5);
    if (!held.ok) throw new Error('expected a reservation');
    book.settle([tenant], held.reservation, 0.1);
    expect(book.status(tenant)).toMatchObject({ settledUsd: 0.1, reservedUsd: 0, remainingUsd: 0.9 });
  });

  it('starts each period empty; a call reserved before midnight releases the old period and books in the new', () => {
    let now = Date.parse('2026-12-05T23:59:00Z');
    const book = new BudgetBook(() => now);
    const daily = ref('tenant', 1);
    book.seed(daily, 0.7);
    const held = book.reserve([daily], 0.2);
    if (!held.ok) throw new Error('expected a reservation');
    expect(book.reserve([daily], 0.2).ok).toBe(false);
    now = Date.parse('2026-12-06T00:01:00Z');
    expect(book.status(daily)).toMatchObject({ settledUsd: 0, reservedUsd: 0, resetsAt: Date.parse('2026-12-07T00:00:00Z') });
    book.settle([daily], held.reservation, 0.15);
    expect(book.status(daily)).toMatchObject({ settledUsd: 0.15, reservedUsd: 0 });
  });

  it('follows the budget’s time zone: a Berlin day ends at 23:00 UTC in winter', () => {
    let now = Date.parse('2026-12-05T22:59:00Z');
    const book = new BudgetBook(() => now);
    const berlin = ref('tenant', 1, 'day', 'Europe/Berlin');
    book.seed(berlin, 1);
    expect(book.reserve([berlin], 0.01).ok).toBe(false);
    now = Date.parse('2026-12-05T23:00:00Z');
    expect(book.reserve([berlin], 0.01).ok).toBe(true);
  });

  it('extends a hold on every budget or none; the release frees the whole hold', () => {
    const book = new BudgetBook(() => Date.parse('2026-12-05T12:00:00Z'));
    const tenant = ref('tenant', 10);
    const key = ref('key', 1);
    const held = book.reserve([key, tenant], 0.5);
    if (!held.ok) throw new Error('expected a reservation');
    expect(book.extend([key, tenant], held.reservation, 0.3)).toBeUndefined();
    expect(book.status(key).reservedUsd).toBeCloseTo(0.8);
    expect(book.status(tenant).reservedUsd).toBeCloseTo(0.8);
    // The key cannot hold another 0.3: neither budget grows.
    expect(book.extend([key, tenant], held.reservation, 0.3)?.ref).toBe(key);
    expect(book.status(tenant).reservedUsd).toBeCloseTo(0.8);
    book.settle([key, tenant], held.reservation, 0.75);
    expect(book.status(key)).toMatchObject({ reservedUsd: 0, settledUsd: 0.75 });
    expect(book.status(tenant)).toMatchObject({ reservedUsd: 0, settledUsd: 0.75 });
  });

  it('tells its listener of every settle and refusal', () => {
    const settled: number[] = [];
    const refused: string[] = [];
    const book = new BudgetBook(() => Date.parse('2026-12-05T12:00:00Z'), { settled: (s) => settled.push(s.settledUsd), refused: (s) => refused.push(s.ref.id) });
    const budget = ref('tenant', 1);
    const held = book.reserve([budget], 0.6);
    if (!held.ok) throw new Error('expected a reservation');
    expect(book.reserve([budget], 0.6).ok).toBe(false);
    book.settle([budget], held.reservation, 0.5);
    expect(settled).toEqual([0.5]);
    expect(refused).toEqual(['tenant']);
  });

  it('needs a seed for a budget it has not read, and again when its calendar changes', () => {
    const book = new BudgetBook(() => Date.parse('2026-12-05T12:00:00Z'));
    const utc = ref('tenant', 10);
    expect(book.missingSeeds([utc])).toEqual([utc]);
    book.seed(utc, 2);
    expect(book.missingSeeds([utc])).toBeUndefined();
    expect(book.status(utc).settledUsd).toBe(2);
    // A new limit is the same calendar: no new seed, the spend stays.
    const raised = { ...utc, config: { ...utc.config, limitUsd: 20 } };
    expect(book.missingSeeds([raised])).toBeUndefined();
    expect(book.status(raised)).toMatchObject({ limitUsd: 20, settledUsd: 2 });
    // Another time zone is another calendar: its spend is read again.
    const berlin = { ...utc, config: { ...utc.config, timeZone: 'Europe/Berlin' } };
    expect(book.missingSeeds([berlin])).toEqual([berlin]);
    book.seed(berlin, 3);
    expect(book.status(berlin).settledUsd).toBe(3);
    expect(book.statuses().map((s) => s.ref)).toEqual([berlin]);
  });
});

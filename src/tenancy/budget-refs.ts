/**
 * The BudgetRef objects of tenants and keys, one per budget id for as long as
 * its settings stay the same. Principals are rebuilt whenever a key's cache
 * entry is read again (every few seconds); handing out the same ref each time
 * lets the budget book, and anything else keyed on a ref, see one budget, not
 * a new object per reload. A changed setting (a raised limit, another time
 * zone) gives a new ref under the same id: the book keys its spend on the id,
 * so the spend carries over.
 */
import type { BudgetConfig } from '../config/types.js';
import type { BudgetRef } from '../pipeline/contracts.js';
import type { KeyRecord, TenantRecord } from './records.js';

/** `tenant:<name>:<period>` or `key:<id>:<period>`: the id the budget book keeps a budget's spend under. */
export function budgetId(scope: BudgetRef['scope'], owner: string, period: BudgetConfig['period']): string {
  return `${scope}:${owner}:${period}`;
}

function sameConfig(a: BudgetConfig, b: BudgetConfig): boolean {
  return (
    a.period === b.period &&
    a.limitUsd === b.limitUsd &&
    a.timeZone === b.timeZone &&
    a.reset.hour === b.reset.hour &&
    a.reset.minute === b.reset.minute &&
    a.soft.length === b.soft.length &&
    a.soft.every((share, i) => share === b.soft[i])
  );
}

const NONE: readonly BudgetRef[] = Object.freeze([]);

export class BudgetRefs {
  private readonly refs = new Map<string, BudgetRef>();

  /** Bounded like the key cache: past it, refs start afresh (a new object for an id costs nothing but identity). */
  constructor(private readonly maxEntries = 100_000) {}

  /** A tenant's budgets. */
  ofTenant(tenant: TenantRecord): readonly BudgetRef[] {
    return this.list('tenant', tenant.name, tenant.name, tenant.budgets);
  }

  /** A key's own budgets (not its tenant's). */
  ofKey(key: KeyRecord): readonly BudgetRef[] {
    return this.list('key', key.id, key.tenant, key.budgets);
  }

  private list(scope: BudgetRef['scope'], owner: string, tenant: string, budgets: readonly BudgetConfig[]): readonly BudgetRef[] {
    if (budgets.length === 0) return NONE;
    return Object.freeze(budgets.map((config) => this.ref(scope, owner, tenant, config)));
  }

  private ref(scope: BudgetRef['scope'], owner: string, tenant: string, config: BudgetConfig): BudgetRef {
    const id = budgetId(scope, owner, config.period);
    const known = this.refs.get(id);
    if (known !== undefined && known.tenant === tenant && sameConfig(known.config, config)) return known;
    if (this.refs.size >= this.maxEntries) this.refs.clear();
    const fresh: BudgetRef = Object.freeze({ id, scope, owner, tenant, config });
    this.refs.set(id, fresh);
    return fresh;
  }
}

/**
 * Where the parts of a budget bar go, as percentages of the bar's width: the
 * spent part, the reserved part after it, a tick per soft threshold. The bar's
 * end is the hard limit; a budget over its limit fills the bar and says so.
 */

export interface BudgetNumbers {
  readonly limit_usd: number;
  readonly spent_usd: number;
  readonly reserved_usd: number;
  readonly soft: readonly number[];
}

export interface BudgetGeometry {
  /** Width of the spent part, 0–100. */
  readonly spentPct: number;
  /** Width of the reserved part, drawn after the spent part; spent + reserved ≤ 100. */
  readonly reservedPct: number;
  /** Positions of the soft thresholds, 0–100, ascending. */
  readonly softMarks: readonly number[];
  /** (spent + reserved) / limit, unclamped. */
  readonly usedRatio: number;
  readonly overLimit: boolean;
  /** The highest soft threshold already passed, if any. */
  readonly passedSoft: number | null;
  readonly level: 'ok' | 'warn' | 'over';
}

const clampPct = (value: number): number => Math.min(100, Math.max(0, value));
const round2 = (value: number): number => Math.round(value * 100) / 100;

export function budgetGeometry(budget: BudgetNumbers): BudgetGeometry {
  const limit = budget.limit_usd > 0 ? budget.limit_usd : Number.EPSILON;
  const spent = Math.max(0, budget.spent_usd);
  const reserved = Math.max(0, budget.reserved_usd);
  const usedRatio = (spent + reserved) / limit;
  const spentPct = round2(clampPct((spent / limit) * 100));
  const reservedPct = round2(clampPct(((spent + reserved) / limit) * 100) - spentPct);
  const softMarks = [...budget.soft].filter((s) => s > 0 && s < 1).sort((a, b) => a - b).map((s) => round2(s * 100));
  const passed = [...budget.soft].filter((s) => s <= usedRatio).sort((a, b) => b - a)[0] ?? null;
  const overLimit = spent + reserved > budget.limit_usd;
  return { spentPct, reservedPct, softMarks, usedRatio, overLimit, passedSoft: passed, level: overLimit || usedRatio >= 1 ? 'over' : passed !== null ? 'warn' : 'ok' };
}

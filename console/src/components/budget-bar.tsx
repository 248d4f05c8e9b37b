/** One budget as a meter: spent solid, reserved hatched, soft thresholds as ticks, the limit as the end. */
import type { Budget } from '../api/types.js';
import { budgetGeometry } from '../lib/budget-geometry.js';
import { formatLocalTime, formatPercent, formatUsd } from '../lib/format.js';

export function BudgetBar({ budget }: { budget: Budget }) {
  const g = budgetGeometry(budget);
  const owner = budget.scope === 'tenant' ? `Tenant ${budget.owner}` : `Key ${budget.owner} (${budget.tenant})`;
  const valueText = `${formatUsd(budget.spent_usd)} spent${budget.reserved_usd > 0 ? ` and ${formatUsd(budget.reserved_usd)} reserved` : ''} of ${formatUsd(budget.limit_usd)} (${formatPercent(g.usedRatio)})${g.overLimit ? ', over the limit' : ''}`;
  return (
    <li class={`budget level-${g.level}`} data-testid="budget">
      <div class="budget-head">
        <span class="budget-owner">
          {owner} · {budget.period === 'day' ? 'daily' : 'monthly'}
        </span>
        <span class="budget-amount">
          {formatUsd(budget.spent_usd)} of {formatUsd(budget.limit_usd)}
          {g.overLimit && <> <strong class="badge badge-bad">Over limit</strong></>}
          {!g.overLimit && g.passedSoft !== null && <> <strong class="badge badge-warn">Past {formatPercent(g.passedSoft)}</strong></>}
        </span>
      </div>
      <div
        class="bar"
        role="meter"
        aria-label={`${owner} ${budget.period === 'day' ? 'daily' : 'monthly'} budget`}
        aria-valuemin={0}
        aria-valuemax={budget.limit_usd}
        aria-valuenow={Math.min(budget.spent_usd + budget.reserved_usd, budget.limit_usd)}
        aria-valuetext={valueText}
      >
        <span class="bar-spent" style={{ width: `${g.spentPct}%` }} />
        <span class="bar-reserved" style={{ left: `${g.spentPct}%`, width: `${g.reservedPct}%` }} />
        {g.softMarks.map((mark) => (
          <span key={mark} class="bar-soft" style={{ left: `${mark}%` }} title={`Soft threshold ${mark}%`} />
        ))}
      </div>
      <div class="budget-foot muted small">
        {budget.reserved_usd > 0 && <span>{formatUsd(budget.reserved_usd)} reserved by calls in flight · </span>}
        <span>
          resets {formatLocalTime(budget.resets_at)} ({budget.timezone} {budget.reset_at})
        </span>
      </div>
    </li>
  );
}

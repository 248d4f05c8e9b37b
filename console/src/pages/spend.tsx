/** Who spent what: usage by tenant, key and model for a period, the budgets, and the billing report as CSV. */
import { useState } from 'preact/hooks';
import type { ApiKey, Budget, List, UsageRow } from '../api/types.js';
import { useApi } from '../components/api-context.js';
import { BudgetBar } from '../components/budget-bar.js';
import { ErrorNote } from '../components/error-note.js';
import { formatCount, formatPercent, formatTokens, formatUsd } from '../lib/format.js';
import { csvExport, spendDays, utcDay, type SpendPeriod } from '../lib/time-range.js';
import { useLoad } from '../lib/use-load.js';

type Group = 'tenant' | 'key' | 'model';

const GROUP_TITLE: Record<Group, string> = { tenant: 'By tenant', key: 'By key', model: 'By model' };
const GROUP_COLUMN: Record<Group, string> = { tenant: 'Tenant', key: 'Key', model: 'Model' };

function groupName(row: UsageRow, group: Group): string {
  if (group === 'tenant') return row.tenant ?? '—';
  if (group === 'model') return row.model ?? '—';
  return `${row.tenant ?? ''}/${row.key_id ?? ''}`;
}

/** A key as people know it: its name (when it has one) and id, and its tenant. */
function KeyLabel({ row, names }: { row: UsageRow; names: ReadonlyMap<string, string | null> }) {
  if (row.key_id === null || row.key_id === undefined) return <>(no key) <span class="muted small">{row.tenant}</span></>;
  const name = names.get(row.key_id);
  return (
    <>
      {name ?? <code>{row.key_id}</code>} <span class="muted small">{name === null || name === undefined ? row.tenant : `${row.key_id} · ${row.tenant}`}</span>
    </>
  );
}

/** Rows sorted by cost, most expensive first (requests break ties). */
export function byCost(rows: readonly UsageRow[]): UsageRow[] {
  return [...rows].sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests);
}

function UsageTable({ group, from, to }: { group: Group; from: string; to: string }) {
  const api = useApi();
  // Keys are grouped with their tenant, so a row can say whose key it is.
  const { data, error, loading } = useLoad(() => api.get<List<UsageRow>>('/usage', { group_by: group === 'key' ? 'tenant,key' : group, from, to }), [api, group, from, to]);
  const keys = useLoad(() => (group === 'key' ? api.get<List<ApiKey>>('/keys') : Promise.resolve(null)), [api, group]);
  const names = new Map((keys.data?.data ?? []).map((k) => [k.id, k.name] as const));
  const rows = data === null ? [] : byCost(data.data);
  const totalCost = rows.reduce((sum, r) => sum + r.cost_usd, 0);
  const titleId = `usage-${group}`;
  return (
    <section class="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{GROUP_TITLE[group]}</h2>
      <ErrorNote message={error} />
      {data === null && loading && <p class="muted">Loading…</p>}
      {data !== null && rows.length === 0 && <p class="muted">No calls in this period.</p>}
      {rows.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label={GROUP_TITLE[group]}>
          <table data-testid={`usage-${group}`}>
            <thead>
              <tr>
                <th scope="col">{GROUP_COLUMN[group]}</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num">Tokens in</th>
                <th scope="col" class="num">Tokens out</th>
                <th scope="col" class="num">Cost</th>
                <th scope="col" class="num">Share</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={groupName(row, group)}>
                  <th scope="row">{group === 'key' ? <KeyLabel row={row} names={names} /> : groupName(row, group)}</th>
                  <td class="num">{formatCount(row.requests)}</td>
                  <td class="num">{formatTokens(row.prompt_tokens)}</td>
                  <td class="num">{formatTokens(row.completion_tokens)}</td>
                  <td class="num">{formatUsd(row.cost_usd)}</td>
                  <td class="num">{totalCost > 0 ? formatPercent(row.cost_usd / totalCost) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Budgets() {
  const api = useApi();
  const { data, error, loading } = useLoad(() => api.get<List<Budget>>('/budgets'), [api]);
  return (
    <section class="card" aria-labelledby="budgets-title">
      <h2 id="budgets-title">Budgets</h2>
      <ErrorNote message={error} />
      {data === null && loading && <p class="muted">Loading…</p>}
      {data !== null && data.data.length === 0 && <p class="muted">No budgets set. Add one to a tenant or a key on the Tenants &amp; keys page.</p>}
      {data !== null && data.data.length > 0 && (
        <ul class="budgets">
          {data.data.map((b) => (
            <BudgetBar key={`${b.scope}/${b.owner}/${b.period}`} budget={b} />
          ))}
        </ul>
      )}
      <p class="legend small muted">
        <span class="swatch swatch-spent" /> spent <span class="swatch swatch-reserved" /> reserved by calls in flight <span class="swatch swatch-soft" /> soft threshold; the bar ends at the limit.
      </p>
    </section>
  );
}

export function SpendPage() {
  const api = useApi();
  const today = utcDay(new Date());
  const [kind, setKind] = useState<SpendPeriod['kind']>('today');
  const [customFrom, setCustomFrom] = useState(`${today.slice(0, 7)}-01`);
  const [customTo, setCustomTo] = useState(today);
  const period: SpendPeriod = kind === 'custom' ? { kind, from: customFrom, to: customTo } : { kind };
  const now = new Date();
  const days = spendDays(period, now);
  const csv = csvExport(period, now);

  return (
    <section class="page" aria-labelledby="spend-title">
      <div class="page-head">
        <h1 id="spend-title">Spend</h1>
        <fieldset class="segmented">
          <legend class="visually-hidden">Period</legend>
          {(['today', 'month', 'custom'] as const).map((k) => (
            <label key={k} class="radio">
              <input type="radio" name="spend-period" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {k === 'today' ? 'Today' : k === 'month' ? 'This month' : 'Custom'}
            </label>
          ))}
        </fieldset>
      </div>
      {kind === 'custom' && (
        <div class="inline-form">
          <label>
            From
            <input type="date" value={customFrom} max={today} onChange={(e) => setCustomFrom(e.currentTarget.value)} />
          </label>
          <label>
            To
            <input type="date" value={customTo} max={today} onChange={(e) => setCustomTo(e.currentTarget.value)} />
          </label>
        </div>
      )}
      <p class="export">
        {csv.query === null ? (
          <>
            <button type="button" disabled aria-describedby="export-note">
              Export CSV
            </button>{' '}
            <span id="export-note" class="muted small">
              {csv.note}
            </span>
          </>
        ) : (
          <>
            <a class="button" href={api.url('/reports', csv.query)} download data-testid="export-csv" aria-describedby="export-note">
              Export CSV
            </a>{' '}
            <span id="export-note" class="muted small">
              {csv.note}
            </span>
          </>
        )}
      </p>
      {'problem' in days ? (
        <ErrorNote message={days.problem} />
      ) : (
        <>
          <p class="muted small">
            UTC days {days.from}
            {days.to === days.from ? '' : ` to ${days.to}`}.
          </p>
          <div class="grid-3">
            {(['tenant', 'key', 'model'] as const).map((group) => (
              <UsageTable key={group} group={group} from={days.from} to={days.to} />
            ))}
          </div>
        </>
      )}
      <Budgets />
    </section>
  );
}

/** How the console writes numbers: money, tokens, durations, shares and times. */

/** Dollars with the precision the amount needs: $12.35, $0.42, $0.013, $0.0042, $0.000012. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '—';
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  if (abs === 0) return '$0.00';
  if (abs >= 1) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  // Below a dollar: two significant digits (at least cents), so small per-call costs stay readable.
  const digits = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(abs))));
  return `${sign}$${abs.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

/** A count with thousands separators: 1,234,567. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Tokens compactly: 950, 12.3k, 4.5M, 1.2B. */
export function formatTokens(n: number): string {
  const abs = Math.abs(n);
  if (abs < 10_000) return formatCount(n);
  if (abs < 1e6) return `${trim(n / 1e3, abs < 1e5 ? 1 : 0)}k`;
  if (abs < 1e9) return `${trim(n / 1e6, abs < 1e8 ? 1 : 0)}M`;
  return `${trim(n / 1e9, 1)}B`;
}

function trim(value: number, fractionDigits: number): string {
  return value.toFixed(fractionDigits).replace(/\.0$/, '');
}

/** A latency: 840 ms, 1.84 s, 12.4 s, 2 min 5 s; null (no calls) as a dash. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** A share (0.125) as a percentage: 12.5%, 0.3%, <0.1%, 100%. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct > 0 && pct < 0.1) return '<0.1%';
  if (Math.abs(pct) >= 10) return `${Math.round(pct)}%`;
  return `${trim(pct, 1)}%`;
}

/** Unix seconds as the viewer's local date and time. */
export function formatLocalTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Unix seconds as a local date. */
export function formatLocalDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** The time of day of a feed event (Unix seconds), to the second. */
export function formatClock(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export type AxisUnit = 'count' | 'tokens' | 'usd' | 'ms';

/** Labels of a chart axis: as many decimals as the step between ticks needs, so two ticks never read the same. */
export function axisLabels(ticks: readonly number[], unit: AxisUnit): string[] {
  const first = ticks[0] ?? 0;
  const step = Math.abs((ticks[1] ?? first) - first) || Math.abs(first) || 1;
  const decimalsFor = (size: number): number => Math.max(0, Math.min(8, Math.ceil(-Math.log10(size))));
  switch (unit) {
    case 'count':
      return ticks.map(formatCount);
    case 'tokens':
      return ticks.map(formatTokens);
    case 'usd': {
      const decimals = Math.max(2, decimalsFor(step));
      return ticks.map((t) => `$${t.toFixed(decimals)}`);
    }
    case 'ms': {
      const largest = Math.max(...ticks.map(Math.abs));
      if (largest < 1000) return ticks.map((t) => `${Math.round(t)} ms`);
      const decimals = decimalsFor(step / 1000);
      return ticks.map((t) => `${(t / 1000).toFixed(decimals)} s`);
    }
  }
}

// Turns the runs into medians, ratios to the floor, the overhead budget and a Markdown table.

export const TARGETS = ['direct', 'floor', 'tollgate'];
const METRICS = ['rps', 'p50Us', 'p99Us', 'cpuUsPerReq', 'upstreamCpuUsPerReq'];

function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Medians over the repeats of one target in one cell; peak RSS is the highest peak. */
export function summarise(runs) {
  const out = { runs: runs.length };
  for (const metric of METRICS) out[metric] = median(runs.map((r) => r[metric]));
  const peaks = runs.map((r) => r.peakRssMb).filter((v) => typeof v === 'number');
  out.peakRssMb = peaks.length > 0 ? Math.max(...peaks) : undefined;
  return out;
}

/** Adds to each cell the latency added over direct and the ratios to the floor. */
export function derive(cell) {
  const { direct, floor, tollgate } = cell.summary;
  for (const target of ['floor', 'tollgate']) {
    const s = cell.summary[target];
    if (!s) continue;
    if (direct?.p50Us !== undefined && s.p50Us !== undefined) s.addedP50Us = s.p50Us - direct.p50Us;
  }
  if (floor && tollgate) {
    cell.ratios = {
      cpu: floor.cpuUsPerReq > 0 ? tollgate.cpuUsPerReq / floor.cpuUsPerReq : undefined,
      rps: floor.rps > 0 ? tollgate.rps / floor.rps : undefined,
      p50OverFloorUs: tollgate.p50Us - floor.p50Us,
    };
  }
  return cell;
}

const fmt = (value, digits = 2) => (value === undefined || value === null || Number.isNaN(value) ? '—' : value.toFixed(digits));
const ms = (us) => (us === undefined ? '—' : us >= 10_000 ? (us / 1000).toFixed(1) : (us / 1000).toFixed(3));

function worst(cells, pick, direction) {
  let found;
  for (const cell of cells) {
    const value = pick(cell);
    if (value === undefined || Number.isNaN(value)) continue;
    if (found === undefined || (direction === 'max' ? value > found.value : value < found.value)) found = { value, cell };
  }
  return found;
}

function where(cell) {
  return `${cell.scenario} @ c${cell.concurrency}`;
}

function line(name, limitText, found, ok, detail) {
  if (found === undefined) return { name, limit: limitText, status: 'n/a', measured: 'not measured in this run' };
  return { name, limit: limitText, status: ok(found.value) ? 'PASS' : 'MISS', measured: detail(found), value: found.value, where: where(found.cell) };
}

/**
 * The overhead budget. CPU lines take the worst ratio over every concurrency and every
 * scenario of the group, so a PASS holds for all of them.
 */
export function evaluateBudget(cells, memory) {
  const group = (g) => cells.filter((c) => c.group === g && c.ratios);
  const ratioText = (f) => `${f.value.toFixed(2)}× (worst: ${where(f.cell)})`;
  const budgets = [
    line('Non-streamed Chat: CPU per request', '≤ 1.5× floor', worst(group('chat-json'), (c) => c.ratios.cpu, 'max'), (v) => v <= 1.5, ratioText),
    line(
      'Non-streamed Chat: throughput at concurrency 64',
      '≥ 0.7× floor',
      worst(
        group('chat-json').filter((c) => c.concurrency === 64),
        (c) => c.ratios.rps,
        'min',
      ),
      (v) => v >= 0.7,
      (f) => `${f.value.toFixed(2)}×`,
    ),
    line('Streamed Chat pass-through (fast and paced): CPU per stream', '≤ 1.5× floor', worst(group('chat-stream'), (c) => c.ratios.cpu, 'max'), (v) => v <= 1.5, ratioText),
    line('Responses from a Chat upstream (translation): CPU per stream', '≤ 2× floor', worst(group('responses-translated'), (c) => c.ratios.cpu, 'max'), (v) => v <= 2, ratioText),
    line(
      'Latency added at concurrency 1 (p50; non-streamed Chat, 50-event Chat stream)',
      '≤ 150 µs over floor',
      worst(
        cells.filter((c) => c.ratios && c.concurrency === 1 && (c.scenario === 'chat-json' || c.scenario === 'chat-sse-50')),
        (c) => c.ratios.p50OverFloorUs,
        'max',
      ),
      (v) => v <= 150,
      (f) => `${Math.round(f.value)} µs`,
    ),
  ];
  const tollgateMemory = memory.filter((m) => m.target.startsWith('tollgate'));
  const peak = worst(
    tollgateMemory.map((m) => ({ ...m, scenario: m.target, concurrency: m.count })),
    (m) => (m.open === m.count ? m.rssPeakMb : undefined),
    'max',
  );
  budgets.push(
    peak === undefined
      ? { name: '1,000 open streams: Tollgate RSS', limit: '< 300 MB', status: 'n/a', measured: 'not measured (or not every stream opened)' }
      : { name: `${peak.cell.count.toLocaleString('en-US')} open streams: Tollgate RSS`, limit: '< 300 MB', status: peak.value < 300 ? 'PASS' : 'MISS', measured: `${peak.value} MB`, value: peak.value },
  );
  return budgets;
}

export function renderMarkdown(result) {
  const { machine, options, cells, memory, budgets } = result;
  const out = [];
  out.push(`# Tollgate benchmark — ${result.startedAt} (Tollgate ${result.revision})`, '');
  out.push(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB · Node ${machine.node} · Linux ${machine.kernel} · ${machine.loadGenerator} · load average ${machine.loadAverage.join(' ')} at start, ${result.loadAverageAtEnd.join(' ')} at end`,
    '',
    `Mode: ${options.quick ? 'quick (indicative only)' : 'full'} · ${options.durationS} s per run · ${options.repeats} repeat(s), interleaved, medians · log level ${options.logLevel}${options.profile ? ' · CPU profiling ON (inflates Tollgate)' : ''} · took ${result.elapsedS} s`,
    '',
  );
  out.push('## Overhead budget', '', '| budget | limit | measured | |', '| --- | --- | --- | --- |');
  for (const b of budgets) out.push(`| ${b.name} | ${b.limit} | ${b.measured} | **${b.status}** |`);
  out.push('', '## Results', '');
  out.push('| scenario | conc | target | req/s | p50 ms | p99 ms | +p50 vs direct µs | CPU µs/req | peak RSS MB | CPU ×floor | req/s ×floor |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const cell of cells) {
    for (const target of TARGETS) {
      const s = cell.summary[target];
      if (!s) continue;
      const isTollgate = target === 'tollgate';
      out.push(
        `| ${cell.scenario} | ${cell.concurrency} | ${target} | ${fmt(s.rps, 0)} | ${ms(s.p50Us)} | ${ms(s.p99Us)} | ${target === 'direct' ? '' : fmt(s.addedP50Us, 0)} | ${target === 'direct' ? '' : fmt(s.cpuUsPerReq, 0)} | ${target === 'direct' ? '' : fmt(s.peakRssMb, 0)} | ${isTollgate ? fmt(cell.ratios?.cpu) : ''} | ${isTollgate ? fmt(cell.ratios?.rps) : ''} |`,
      );
    }
  }
  if (memory.length > 0) {
    out.push('', '## Open streams (memory check)', '');
    out.push('| target | streams open / asked | failed | closed early | RSS before MB | peak RSS MB | RSS after close MB | CPU % while open | held s |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const m of memory) {
      out.push(`| ${m.target} | ${m.open} / ${m.count} | ${m.failed} | ${m.closedEarly} | ${m.rssBeforeMb} | ${m.rssPeakMb} | ${m.rssAfterMb} | ${m.cpuPercent} | ${m.holdS} |`);
    }
  }
  out.push('', 'Scenarios:', '');
  for (const s of result.scenarios) out.push(`- \`${s.id}\`: ${s.title}`);
  out.push('', 'How to read this table: docs/performance.md.', '');
  return out.join('\n');
}

// Turns the runs into medians, ratios to the floor (and between Tollgate builds), the overhead
// budget and a Markdown table.

/** The targets of a default run. `--baseline` adds `baseline`, `--watch-all` `tollgate-watch`, `--auth` `tollgate-auth`, `--console-feed` `tollgate-feed`. */
export const TARGETS = ['direct', 'floor', 'tollgate'];
/** Every target that is a Tollgate: same requests, same checks, same columns. */
export const TOLLGATE_TARGETS = ['baseline', 'tollgate', 'tollgate-auth', 'tollgate-budgets', 'tollgate-feed', 'tollgate-watch'];
export const isTollgate = (target) => TOLLGATE_TARGETS.includes(target);
/** `tollgate / baseline` CPU per request above this is flagged (the acceptance allows +5 %). */
export const BASELINE_LIMIT = 1.05;
/** `tollgate-auth / tollgate` CPU per request above this is flagged (the acceptance allows +5 % for one key). */
export const AUTH_LIMIT = 1.05;
/** `tollgate-budgets / tollgate-auth` CPU per request above this is flagged (the acceptance allows +10 % for budgets on). */
export const BUDGETS_LIMIT = 1.1;
/** `tollgate-feed / tollgate-auth` CPU per request or p50 above this is flagged (a console watching should cost nothing measurable). */
export const FEED_LIMIT = 1.05;
const METRICS = ['rps', 'p50Us', 'p99Us', 'cpuUsPerReq', 'upstreamCpuUsPerReq'];

/** The targets of a run, in table order: direct, floor, baseline, tollgate, tollgate-auth, tollgate-budgets, tollgate-feed, tollgate-watch. */
export function runTargets({ baseline = false, watch = false, auth = false, budgets = false, feed = false } = {}) {
  return [
    'direct',
    'floor',
    ...(baseline ? ['baseline'] : []),
    'tollgate',
    // Budgets and the live feed are measured against the same key without them: both bring `tollgate-auth` along.
    ...(auth || budgets || feed ? ['tollgate-auth'] : []),
    ...(budgets ? ['tollgate-budgets'] : []),
    ...(feed ? ['tollgate-feed'] : []),
    ...(watch ? ['tollgate-watch'] : []),
  ];
}

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

/** `a`'s `metric` (CPU per request unless told) ÷ `b`'s, round by round (both ran in the same round, a few seconds apart). */
function perRoundCpu(runs, a, b, metric = 'cpuUsPerReq') {
  const out = [];
  for (const run of runs) {
    if (run.target !== a) continue;
    const other = runs.find((r) => r.target === b && r.round === run.round);
    if (other?.[metric] > 0 && run[metric] !== undefined) out.push(run[metric] / other[metric]);
  }
  return out;
}

/**
 * Adds to each cell the latency added over direct, every Tollgate target's ratios to the
 * floor, and (when measured) `tollgate / baseline`, `tollgate-watch / tollgate` and
 * `tollgate-auth / tollgate` CPU per request: as ratios of the medians, and round by round.
 */
export function derive(cell) {
  const { direct, floor, tollgate, baseline } = cell.summary;
  const watch = cell.summary['tollgate-watch'];
  const auth = cell.summary['tollgate-auth'];
  const budgets = cell.summary['tollgate-budgets'];
  const feed = cell.summary['tollgate-feed'];
  for (const [target, s] of Object.entries(cell.summary)) {
    if (!s || target === 'direct') continue;
    if (direct?.p50Us !== undefined && s.p50Us !== undefined) s.addedP50Us = s.p50Us - direct.p50Us;
    if (isTollgate(target) && floor) {
      s.cpuXFloor = floor.cpuUsPerReq > 0 ? s.cpuUsPerReq / floor.cpuUsPerReq : undefined;
      s.rpsXFloor = floor.rps > 0 ? s.rps / floor.rps : undefined;
    }
  }
  cell.ratios = {};
  if (floor && tollgate) {
    Object.assign(cell.ratios, {
      cpu: floor.cpuUsPerReq > 0 ? tollgate.cpuUsPerReq / floor.cpuUsPerReq : undefined,
      rps: floor.rps > 0 ? tollgate.rps / floor.rps : undefined,
      p50OverFloorUs: tollgate.p50Us - floor.p50Us,
    });
  }
  if (baseline && tollgate && baseline.cpuUsPerReq > 0) {
    const ratio = tollgate.cpuUsPerReq / baseline.cpuUsPerReq;
    Object.assign(cell.ratios, {
      cpuVsBaseline: ratio,
      cpuVsBaselineRounds: perRoundCpu(cell.runs, 'tollgate', 'baseline'),
      rpsVsBaseline: baseline.rps > 0 ? tollgate.rps / baseline.rps : undefined,
      overBaselineLimit: ratio > BASELINE_LIMIT,
    });
  }
  if (watch && tollgate && tollgate.cpuUsPerReq > 0) {
    Object.assign(cell.ratios, {
      cpuWatch: watch.cpuUsPerReq / tollgate.cpuUsPerReq,
      cpuWatchRounds: perRoundCpu(cell.runs, 'tollgate-watch', 'tollgate'),
      watchExtraCpuUs: watch.cpuUsPerReq - tollgate.cpuUsPerReq,
      rpsWatch: tollgate.rps > 0 ? watch.rps / tollgate.rps : undefined,
    });
  }
  if (auth && tollgate && tollgate.cpuUsPerReq > 0) {
    const ratio = auth.cpuUsPerReq / tollgate.cpuUsPerReq;
    Object.assign(cell.ratios, {
      cpuAuth: ratio,
      cpuAuthRounds: perRoundCpu(cell.runs, 'tollgate-auth', 'tollgate'),
      authExtraCpuUs: auth.cpuUsPerReq - tollgate.cpuUsPerReq,
      rpsAuth: tollgate.rps > 0 ? auth.rps / tollgate.rps : undefined,
      overAuthLimit: ratio > AUTH_LIMIT,
    });
  }
  if (budgets && auth && auth.cpuUsPerReq > 0) {
    const ratio = budgets.cpuUsPerReq / auth.cpuUsPerReq;
    Object.assign(cell.ratios, {
      cpuBudgets: ratio,
      cpuBudgetsRounds: perRoundCpu(cell.runs, 'tollgate-budgets', 'tollgate-auth'),
      budgetsExtraCpuUs: budgets.cpuUsPerReq - auth.cpuUsPerReq,
      overBudgetsLimit: ratio > BUDGETS_LIMIT,
    });
  }
  if (feed && auth && auth.cpuUsPerReq > 0) {
    const ratio = feed.cpuUsPerReq / auth.cpuUsPerReq;
    const p50Ratio = auth.p50Us > 0 ? feed.p50Us / auth.p50Us : undefined;
    Object.assign(cell.ratios, {
      cpuFeed: ratio,
      cpuFeedRounds: perRoundCpu(cell.runs, 'tollgate-feed', 'tollgate-auth'),
      feedExtraCpuUs: feed.cpuUsPerReq - auth.cpuUsPerReq,
      p50Feed: p50Ratio,
      p50FeedRounds: perRoundCpu(cell.runs, 'tollgate-feed', 'tollgate-auth', 'p50Us'),
      feedExtraP50Us: feed.p50Us - auth.p50Us,
      overFeedLimit: ratio > FEED_LIMIT || (p50Ratio ?? 0) > FEED_LIMIT,
    });
  }
  return cell;
}

const geomean = (values) => (values.length === 0 ? undefined : Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length));

/** Per scenario: each concurrency's ratio and extra µs, their geometric mean and median. */
function perScenario(cells, ratioOf, extraOf) {
  const byScenario = {};
  for (const c of cells) {
    byScenario[c.scenario] ??= { cells: [] };
    byScenario[c.scenario].cells.push({ concurrency: c.concurrency, ratio: ratioOf(c), extraCpuUs: extraOf(c) });
  }
  for (const entry of Object.values(byScenario)) {
    entry.geomean = geomean(entry.cells.map((x) => x.ratio));
    entry.extraCpuUsMedian = median(entry.cells.map((x) => x.extraCpuUs));
  }
  return byScenario;
}

/**
 * The comparison between Tollgate builds over the whole run: the cells over the +5 % limit,
 * the worst and the geometric mean of `tollgate / baseline` and of `tollgate-auth / tollgate`,
 * and the watch and auth costs per scenario.
 */
export function compareTargets(cells) {
  const out = {};
  const vsBaseline = cells.filter((c) => c.ratios?.cpuVsBaseline !== undefined);
  if (vsBaseline.length > 0) {
    const worstCell = vsBaseline.reduce((a, b) => (b.ratios.cpuVsBaseline > a.ratios.cpuVsBaseline ? b : a));
    out.baseline = {
      limit: BASELINE_LIMIT,
      cells: vsBaseline.length,
      overLimit: vsBaseline.filter((c) => c.ratios.overBaselineLimit).map((c) => ({ where: where(c), ratio: c.ratios.cpuVsBaseline, rounds: c.ratios.cpuVsBaselineRounds })),
      worst: { where: where(worstCell), ratio: worstCell.ratios.cpuVsBaseline },
      geomean: geomean(vsBaseline.map((c) => c.ratios.cpuVsBaseline)),
    };
  }
  const watched = cells.filter((c) => c.ratios?.cpuWatch !== undefined);
  if (watched.length > 0) {
    const byScenario = perScenario(
      watched,
      (c) => c.ratios.cpuWatch,
      (c) => c.ratios.watchExtraCpuUs,
    );
    out.watch = { byScenario, geomean: geomean(watched.map((c) => c.ratios.cpuWatch)) };
  }
  const authed = cells.filter((c) => c.ratios?.cpuAuth !== undefined);
  if (authed.length > 0) {
    const worstCell = authed.reduce((a, b) => (b.ratios.cpuAuth > a.ratios.cpuAuth ? b : a));
    out.auth = {
      limit: AUTH_LIMIT,
      cells: authed.length,
      overLimit: authed.filter((c) => c.ratios.overAuthLimit).map((c) => ({ where: where(c), ratio: c.ratios.cpuAuth, rounds: c.ratios.cpuAuthRounds })),
      worst: { where: where(worstCell), ratio: worstCell.ratios.cpuAuth },
      geomean: geomean(authed.map((c) => c.ratios.cpuAuth)),
      extraCpuUsMedian: median(authed.map((c) => c.ratios.authExtraCpuUs)),
      byScenario: perScenario(
        authed,
        (c) => c.ratios.cpuAuth,
        (c) => c.ratios.authExtraCpuUs,
      ),
    };
  }
  const budgeted = cells.filter((c) => c.ratios?.cpuBudgets !== undefined);
  if (budgeted.length > 0) {
    const worstCell = budgeted.reduce((a, b) => (b.ratios.cpuBudgets > a.ratios.cpuBudgets ? b : a));
    out.budgets = {
      limit: BUDGETS_LIMIT,
      cells: budgeted.length,
      overLimit: budgeted.filter((c) => c.ratios.overBudgetsLimit).map((c) => ({ where: where(c), ratio: c.ratios.cpuBudgets, rounds: c.ratios.cpuBudgetsRounds })),
      worst: { where: where(worstCell), ratio: worstCell.ratios.cpuBudgets },
      geomean: geomean(budgeted.map((c) => c.ratios.cpuBudgets)),
      extraCpuUsMedian: median(budgeted.map((c) => c.ratios.budgetsExtraCpuUs)),
      byScenario: perScenario(
        budgeted,
        (c) => c.ratios.cpuBudgets,
        (c) => c.ratios.budgetsExtraCpuUs,
      ),
    };
  }
  const fed = cells.filter((c) => c.ratios?.cpuFeed !== undefined);
  if (fed.length > 0) {
    const worstCell = fed.reduce((a, b) => (b.ratios.cpuFeed > a.ratios.cpuFeed ? b : a));
    out.feed = {
      limit: FEED_LIMIT,
      cells: fed.length,
      overLimit: fed
        .filter((c) => c.ratios.overFeedLimit)
        .map((c) => ({ where: where(c), ratio: c.ratios.cpuFeed, rounds: c.ratios.cpuFeedRounds, p50Ratio: c.ratios.p50Feed, p50Rounds: c.ratios.p50FeedRounds })),
      worst: { where: where(worstCell), ratio: worstCell.ratios.cpuFeed },
      geomean: geomean(fed.map((c) => c.ratios.cpuFeed)),
      p50Geomean: geomean(fed.map((c) => c.ratios.p50Feed).filter((v) => v !== undefined)),
      extraCpuUsMedian: median(fed.map((c) => c.ratios.feedExtraCpuUs)),
      byScenario: perScenario(
        fed,
        (c) => c.ratios.cpuFeed,
        (c) => c.ratios.feedExtraCpuUs,
      ),
    };
  }
  return out;
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
  // The budget is the current build's: the baseline and the watched target are compared, not budgeted.
  const tollgateMemory = memory.filter((m) => (m.proxy ?? m.target.split(' ')[0]) === 'tollgate');
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

const signed = (us) => (us === undefined || Number.isNaN(us) ? '—' : `${us >= 0 ? '+' : '−'}${Math.abs(us).toFixed(0)}`);
const pct = (ratio) => (ratio === undefined ? '—' : `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)} %`);
/** Per-round ratios: their median, then lowest–highest. */
const range = (values) =>
  values === undefined || values.length === 0 ? '—' : `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;

/** The Tollgate builds side by side: CPU per request of each, `tollgate / baseline`, `tollgate-auth / tollgate`, `tollgate-watch / tollgate`. */
function renderComparison(result, targets) {
  const { cells } = result;
  const hasBaseline = targets.includes('baseline');
  const hasWatch = targets.includes('tollgate-watch');
  const hasAuth = targets.includes('tollgate-auth');
  const hasBudgets = targets.includes('tollgate-budgets');
  const hasFeed = targets.includes('tollgate-feed');
  if (!hasBaseline && !hasWatch && !hasAuth) return [];
  const out = ['', '## Tollgate builds compared (CPU µs per request, medians)', ''];
  if (hasBaseline) out.push(`\`baseline\` is ${result.baseline?.ref ?? 'the baseline'} (${result.baseline?.short ?? '?'}); \`tollgate\` is ${result.revision}. A \`tollgate / baseline\` ratio above ${BASELINE_LIMIT} (+${Math.round((BASELINE_LIMIT - 1) * 100)} %) is flagged ⚠.`);
  if (hasAuth) out.push(...(hasBaseline ? [''] : []), `\`tollgate-auth\` is the same build as \`tollgate\`, started the same way with the same configuration plus one tenant, and every request carries that tenant's one virtual key (\`Authorization: Bearer tg_…\`); \`tollgate\` has no tenants (authentication off). A \`tollgate-auth / tollgate\` ratio above ${AUTH_LIMIT} (+${Math.round((AUTH_LIMIT - 1) * 100)} %) is flagged ⚠.`);
  if (hasFeed) out.push('', `\`tollgate-feed\` is \`tollgate-auth\` (both with an admin token) with one live-feed subscriber, a separate process reading \`GET /admin/v1/events\` as a web console does (\`bench/feed-subscriber.mjs\`); only the gateway's CPU is counted. A \`tollgate-feed / tollgate-auth\` ratio (CPU per request or p50) above ${FEED_LIMIT} (+${Math.round((FEED_LIMIT - 1) * 100)} %) is flagged ⚠. "events / requests": the events the subscriber received during the cell's timed runs of \`tollgate-feed\`, and the requests they completed (the streams cut off by the end of a run add one each).`);
  if (hasWatch) out.push(...(hasBaseline || hasAuth ? [''] : []), `\`tollgate-watch\` is the same build as \`tollgate\` with one policy whose stream hook watches every call and always continues (\`bench/tollgate-watch.mjs\`).`);
  out.push('', '"rounds": the same ratio taken round by round (in each round the two targets run seconds apart): median (lowest–highest). When the range is wide, the machine was noisy: rerun the cell with more repeats (`--cells <scenario>@<conc> --repeats 9`).', '');
  const columns = [
    ['scenario', '---'],
    ['conc', '---:'],
    ...(hasBaseline ? [['baseline', '---:']] : []),
    ['tollgate', '---:'],
    ...(hasAuth ? [['tollgate-auth', '---:']] : []),
    ...(hasBudgets ? [['tollgate-budgets', '---:']] : []),
    ...(hasFeed ? [['tollgate-feed', '---:']] : []),
    ...(hasWatch ? [['tollgate-watch', '---:']] : []),
    ...(hasBaseline ? [['tollgate / baseline', '---:'], ['rounds', '---:']] : []),
    ...(hasAuth ? [['auth / tollgate', '---:'], ['auth +µs/req', '---:'], ['rounds', '---:']] : []),
    ...(hasBudgets ? [['budgets / auth', '---:'], ['budgets +µs/req', '---:'], ['rounds', '---:']] : []),
    ...(hasFeed ? [['feed / auth', '---:'], ['feed +µs/req', '---:'], ['rounds', '---:'], ['feed / auth p50', '---:'], ['p50 rounds', '---:'], ['events / requests', '---:']] : []),
    ...(hasWatch ? [['watch / tollgate', '---:'], ['watch +µs/req', '---:'], ['rounds', '---:']] : []),
  ];
  const head = columns.map(([name]) => name);
  const align = columns.map(([, a]) => a);
  out.push(`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`);
  for (const cell of cells) {
    const cpu = (t) => fmt(cell.summary[t]?.cpuUsPerReq, 0);
    const r = cell.ratios ?? {};
    const row = [cell.scenario, String(cell.concurrency)];
    if (hasBaseline) row.push(cpu('baseline'));
    row.push(cpu('tollgate'));
    if (hasAuth) row.push(cpu('tollgate-auth'));
    if (hasBudgets) row.push(cpu('tollgate-budgets'));
    if (hasFeed) row.push(cpu('tollgate-feed'));
    if (hasWatch) row.push(cpu('tollgate-watch'));
    if (hasBaseline) row.push(r.cpuVsBaseline === undefined ? '—' : r.overBaselineLimit ? `**${fmt(r.cpuVsBaseline, 3)} ⚠**` : fmt(r.cpuVsBaseline, 3), range(r.cpuVsBaselineRounds));
    if (hasAuth) row.push(r.cpuAuth === undefined ? '—' : r.overAuthLimit ? `**${fmt(r.cpuAuth, 3)} ⚠**` : fmt(r.cpuAuth, 3), signed(r.authExtraCpuUs), range(r.cpuAuthRounds));
    if (hasBudgets) row.push(r.cpuBudgets === undefined ? '—' : r.overBudgetsLimit ? `**${fmt(r.cpuBudgets, 3)} ⚠**` : fmt(r.cpuBudgets, 3), signed(r.budgetsExtraCpuUs), range(r.cpuBudgetsRounds));
    if (hasFeed) {
      const flag = (ratio) => (ratio === undefined ? '—' : ratio > FEED_LIMIT ? `**${fmt(ratio, 3)} ⚠**` : fmt(ratio, 3));
      const events = cell.feedEvents === undefined ? '—' : `${cell.feedEvents.received} / ${cell.feedEvents.requests}`;
      row.push(flag(r.cpuFeed), signed(r.feedExtraCpuUs), range(r.cpuFeedRounds), flag(r.p50Feed), range(r.p50FeedRounds), events);
    }
    if (hasWatch) row.push(fmt(r.cpuWatch, 2), signed(r.watchExtraCpuUs), range(r.cpuWatchRounds));
    out.push(`| ${row.join(' | ')} |`);
  }
  const cmp = result.comparison ?? compareTargets(cells);
  if (cmp.baseline) {
    const b = cmp.baseline;
    out.push(
      '',
      `**tollgate / baseline**: geometric mean over ${b.cells} cells ${fmt(b.geomean, 3)} (${pct(b.geomean)}); worst ${fmt(b.worst.ratio, 3)} at ${b.worst.where}; ` +
        (b.overLimit.length === 0 ? `no cell over ${BASELINE_LIMIT}.` : `over ${BASELINE_LIMIT}: ${b.overLimit.map((o) => `${o.where} (${fmt(o.ratio, 3)}; rounds ${range(o.rounds)})`).join(', ')}.`),
    );
  }
  if (cmp.auth) {
    const a = cmp.auth;
    out.push(
      '',
      `**Auth cost** (tollgate-auth / tollgate, CPU per request): geometric mean over ${a.cells} cells ${fmt(a.geomean, 3)} (${pct(a.geomean)}), median ${signed(a.extraCpuUsMedian)} µs per request; worst ${fmt(a.worst.ratio, 3)} at ${a.worst.where}; ` +
        (a.overLimit.length === 0 ? `no cell over ${AUTH_LIMIT}.` : `over ${AUTH_LIMIT}: ${a.overLimit.map((o) => `${o.where} (${fmt(o.ratio, 3)}; rounds ${range(o.rounds)})`).join(', ')}.`),
      '',
    );
    for (const [scenario, entry] of Object.entries(a.byScenario)) {
      const perConcurrency = entry.cells.map((x) => `c${x.concurrency} ${fmt(x.ratio, 3)}× (${signed(x.extraCpuUs)} µs)`).join(', ');
      out.push(`- \`${scenario}\`: ${perConcurrency}`);
    }
  }
  if (cmp.budgets) {
    const b = cmp.budgets;
    out.push(
      '',
      `**Budget cost** (tollgate-budgets / tollgate-auth, CPU per request): geometric mean over ${b.cells} cells ${fmt(b.geomean, 3)} (${pct(b.geomean)}), median ${signed(b.extraCpuUsMedian)} µs per request; worst ${fmt(b.worst.ratio, 3)} at ${b.worst.where}; ` +
        (b.overLimit.length === 0 ? `no cell over ${BUDGETS_LIMIT}.` : `over ${BUDGETS_LIMIT}: ${b.overLimit.map((o) => `${o.where} (${fmt(o.ratio, 3)}; rounds ${range(o.rounds)})`).join(', ')}.`),
      '',
    );
    for (const [scenario, entry] of Object.entries(b.byScenario)) {
      const perConcurrency = entry.cells.map((x) => `c${x.concurrency} ${fmt(x.ratio, 3)}× (${signed(x.extraCpuUs)} µs)`).join(', ');
      out.push(`- \`${scenario}\`: ${perConcurrency}`);
    }
  }
  if (cmp.feed) {
    const f = cmp.feed;
    out.push(
      '',
      `**Live-feed cost** (tollgate-feed / tollgate-auth, a console subscribed): CPU per request geometric mean over ${f.cells} cells ${fmt(f.geomean, 3)} (${pct(f.geomean)}), median ${signed(f.extraCpuUsMedian)} µs per request; p50 geometric mean ${fmt(f.p50Geomean, 3)} (${pct(f.p50Geomean)}); worst CPU ${fmt(f.worst.ratio, 3)} at ${f.worst.where}; ` +
        (f.overLimit.length === 0 ? `no cell over ${FEED_LIMIT}.` : `over ${FEED_LIMIT}: ${f.overLimit.map((o) => `${o.where} (CPU ${fmt(o.ratio, 3)}, rounds ${range(o.rounds)}; p50 ${fmt(o.p50Ratio, 3)}, rounds ${range(o.p50Rounds)})`).join(', ')}.`),
      '',
    );
    for (const [scenario, entry] of Object.entries(f.byScenario)) {
      const perConcurrency = entry.cells.map((x) => `c${x.concurrency} ${fmt(x.ratio, 3)}× (${signed(x.extraCpuUs)} µs)`).join(', ');
      out.push(`- \`${scenario}\`: ${perConcurrency}`);
    }
  }
  if (cmp.watch) {
    out.push('', `**Watch cost** (tollgate-watch / tollgate, CPU per request; geometric mean over all cells ${fmt(cmp.watch.geomean, 2)}):`, '');
    for (const [scenario, entry] of Object.entries(cmp.watch.byScenario)) {
      const perConcurrency = entry.cells.map((x) => `c${x.concurrency} ${fmt(x.ratio, 2)}× (${signed(x.extraCpuUs)} µs)`).join(', ');
      out.push(`- \`${scenario}\`: ${perConcurrency}`);
    }
  }
  return out;
}

export function renderMarkdown(result) {
  const { machine, options, cells, memory, budgets } = result;
  const targets = result.targets ?? TARGETS;
  const extra = [
    ...(targets.includes('baseline') ? [`baseline ${result.baseline?.ref ?? ''} (${result.baseline?.short ?? '?'})`] : []),
    ...(targets.includes('tollgate-auth') ? ['tollgate-auth (one virtual key)'] : []),
    ...(targets.includes('tollgate-budgets') ? ['tollgate-budgets (the key with a budget)'] : []),
    ...(targets.includes('tollgate-feed') ? ['tollgate-feed (the key, a console on the live feed)'] : []),
    ...(targets.includes('tollgate-watch') ? ['tollgate-watch (every call watched)'] : []),
  ];
  const out = [];
  out.push(`# Tollgate benchmark — ${result.startedAt} (Tollgate ${result.revision}${extra.length > 0 ? `; also ${extra.join(', ')}` : ''})`, '');
  out.push(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB · Node ${machine.node} · Linux ${machine.kernel} · ${machine.loadGenerator} · load average ${machine.loadAverage.join(' ')} at start, ${result.loadAverageAtEnd.join(' ')} at end`,
    '',
    `Mode: ${options.quick ? 'quick (indicative only)' : 'full'} · ${options.durationS} s per run · ${options.repeats} repeat(s), interleaved, medians · targets ${targets.join(', ')} · log level ${options.logLevel}${options.profile ? ' · CPU profiling ON (inflates Tollgate)' : ''} · took ${result.elapsedS} s`,
    '',
  );
  out.push('## Overhead budget (tollgate)', '', '| budget | limit | measured | |', '| --- | --- | --- | --- |');
  for (const b of budgets) out.push(`| ${b.name} | ${b.limit} | ${b.measured} | **${b.status}** |`);
  out.push(...renderComparison(result, targets));
  out.push('', '## Results', '');
  out.push('| scenario | conc | target | req/s | p50 ms | p99 ms | +p50 vs direct µs | CPU µs/req | peak RSS MB | CPU ×floor | req/s ×floor |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const cell of cells) {
    for (const target of targets) {
      const s = cell.summary[target];
      if (!s) continue;
      const proxy = target !== 'direct';
      const tollgate = isTollgate(target);
      // Older results (no per-target ratios) had them in cell.ratios, for tollgate only.
      const cpuX = s.cpuXFloor ?? (target === 'tollgate' ? cell.ratios?.cpu : undefined);
      const rpsX = s.rpsXFloor ?? (target === 'tollgate' ? cell.ratios?.rps : undefined);
      out.push(
        `| ${cell.scenario} | ${cell.concurrency} | ${target} | ${fmt(s.rps, 0)} | ${ms(s.p50Us)} | ${ms(s.p99Us)} | ${proxy ? fmt(s.addedP50Us, 0) : ''} | ${proxy ? fmt(s.cpuUsPerReq, 0) : ''} | ${proxy ? fmt(s.peakRssMb, 0) : ''} | ${tollgate ? fmt(cpuX) : ''} | ${tollgate ? fmt(rpsX) : ''} |`,
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

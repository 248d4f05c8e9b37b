// The benchmark: Tollgate against the floor (the cheapest pass-through proxy) and against the
// upstream itself, in one run, one table. See docs/performance.md.
//
//   npm run bench                  full run (under 10 minutes)
//   npm run bench -- --quick       smoke run (under a minute; numbers are indicative only)
//   npm run bench -- --profile     also write a CPU profile of Tollgate
//   npm run bench -- --baseline 43d84db --watch-all
//                                  also measure another build (target `baseline`, built from
//                                  that git ref in a temporary worktree) and Tollgate with a
//                                  policy that watches every stream (target `tollgate-watch`),
//                                  interleaved with the others in the same run
//   npm run bench -- --auth        also measure the same build with one tenant and every request
//                                  carrying its virtual key (target `tollgate-auth`): the auth cost
//   npm run bench -- --budgets     also measure `tollgate-auth` with a monthly budget on its tenant, far from
//                                  its limit (target `tollgate-budgets`; brings `tollgate-auth` along): the
//                                  cost of budgets, as `tollgate-budgets / tollgate-auth`
//   npm run bench -- --budgets --redis redis://127.0.0.1:6379
//                                  the same, with `tollgate-budgets`'s budget shared through Redis (reserve and
//                                  settle are Lua scripts, the call journal beats): the cost of a shared budget
//   npm run bench -- --console-feed
//                                  also measure `tollgate-auth` with a web console watching its live
//                                  feed (target `tollgate-feed`: one subscriber of GET /admin/v1/events,
//                                  a process of its own; both targets have an admin token; brings
//                                  `tollgate-auth` along): the cost of the feed, as
//                                  `tollgate-feed / tollgate-auth` (CPU per request and p50). Fails
//                                  the run when the subscriber receives no event in a cell.
//   npm run bench -- --cells chat-json@16,chat-sse-50@1 --repeats 9
//                                  only these cells (to rerun the disputed ones)
//
// Exits non-zero only when the harness broke (a process failed to start, a reply was wrong,
// a request failed), never because of the timings.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { FEED_ADMIN_TOKEN, subscribeToFeed } from './console-feed.mjs';
import { findWrk, removeBodyFiles, runWrk } from './load.mjs';
import { openStreamsCheck } from './memory.mjs';
import { cpuNs, freePort, peakRssKb, resetPeakRss, startProcess, stopProcess, waitHealthy } from './procs.mjs';
import { renderProfile, summariseProfile } from './profile-summary.mjs';
import { compareTargets, derive, evaluateBudget, isTollgate, renderMarkdown, runTargets, summarise } from './report.mjs';
import { prepareBaseline } from './baseline.mjs';
import { chatBody, modelsByProvider, responsesBody, SCENARIOS } from './scenarios.mjs';
import { tollgateConfig } from './tollgate-config.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const BENCH = new URL('.', import.meta.url).pathname;
const RESULTS = join(BENCH, 'results');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
    repeats: { type: 'string' },
    duration: { type: 'string' },
    scenarios: { type: 'string' },
    concurrency: { type: 'string' },
    streams: { type: 'string' },
    'no-memory': { type: 'boolean', default: false },
    cells: { type: 'string' },
    baseline: { type: 'string' },
    'watch-all': { type: 'boolean', default: false },
    auth: { type: 'boolean', default: false },
    budgets: { type: 'boolean', default: false },
    redis: { type: 'string' },
    'console-feed': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const options = {
  quick,
  profile: args.profile,
  logLevel: args['log-level'],
  repeats: Number(args.repeats ?? (quick ? 1 : 3)),
  durationS: Number(args.duration ?? (quick ? 1 : 2)),
  warmupS: quick ? 0 : 1,
  streams: Number(args.streams ?? 1000),
  holdMs: quick ? 2000 : 10_000,
  baseline: args.baseline,
  watchAll: args['watch-all'],
  auth: args.auth,
  budgets: args.budgets,
  redis: args.redis,
  consoleFeed: args['console-feed'],
};
if (options.redis !== undefined && !options.budgets) throw new Error('--redis shares the budgets of `tollgate-budgets` through Redis: give --budgets too');
/** direct, floor, then every Tollgate under test: [baseline,] tollgate[, tollgate-auth][, tollgate-budgets][, tollgate-feed][, tollgate-watch]. */
const TARGETS = runTargets({ baseline: args.baseline !== undefined, watch: args['watch-all'], auth: args.auth, budgets: args.budgets, feed: options.consoleFeed });
/** The targets whose every request carries the one tenant's virtual key. */
const KEYED = ['tollgate-auth', 'tollgate-budgets', 'tollgate-feed'];
/** The one tenant of the `tollgate-auth` target; its key is created with the CLI before the target starts. */
const AUTH_TENANT = 'bench';
/** Every model priced (USD per million tokens) for the keyed targets of a `--budgets` run. */
const BENCH_PRICING = { models: [{ provider: '*', model: '*', input: 1, output: 2 }] };
const PROXIES = TARGETS.filter((t) => t !== 'direct');
const TRICKLE = 'e30-p1000'; // 30 events a second apart: outlasts any hold.

/** (scenario, concurrency) pairs. Quick: every scenario once, plus what the budget lines need. */
function cells() {
  if (args.cells) {
    // Exact cells, `scenario@concurrency,…`: to rerun the disputed cells of a run, and only those.
    return args.cells.split(',').map((text) => {
      const [id, level] = text.split('@');
      const scenario = SCENARIOS.find((s) => s.id === id);
      const concurrency = Number(level);
      if (scenario === undefined || !Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--cells: '${text}' is not <scenario>@<concurrency> (scenarios: ${SCENARIOS.map((s) => s.id).join(', ')})`);
      return { scenario, concurrency };
    });
  }
  const chosen = args.scenarios ? SCENARIOS.filter((s) => args.scenarios.split(',').includes(s.id)) : SCENARIOS;
  const levels = args.concurrency ? args.concurrency.split(',').map(Number) : undefined;
  return chosen.flatMap((scenario) => {
    const concurrencies = levels ?? (quick ? (scenario.id === 'chat-json' ? [1, 64] : [16]) : [1, 16, 64]);
    return concurrencies.map((concurrency) => ({ scenario, concurrency }));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const harnessErrors = [];
const log = (text) => process.stderr.write(`${text}\n`);

/** Which Tollgate was measured: TOLLGATE_REVISION, else the git commit (`+dirty` when src/ has local changes). */
function revision() {
  if (process.env.TOLLGATE_REVISION) return process.env.TOLLGATE_REVISION;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

function machineInfo(wrk) {
  let wrkVersion = 'wrk';
  try {
    execFileSync(wrk, ['-v'], { encoding: 'utf8' });
  } catch (error) {
    // `wrk -v` prints its version and exits 1.
    wrkVersion = String(error.stdout ?? '').split('\n')[0].trim() || 'wrk';
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadGenerator: wrkVersion,
    // Other work on the machine skews every figure: recorded so a reader can judge.
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** Every process started, so that a failure half-way through still stops them all. */
const started = [];
/** Requests served by each warm-up run (in the JSON, with the cells). */
const warmups = [];

async function start(name, argv, options) {
  const proc = await startProcess(name, argv, options);
  started.push(proc);
  return proc;
}

/** How each Tollgate target is started: the CLI of this checkout or of the baseline's, or the watching entry script. */
function tollgateArgv(target, configPath, baseline) {
  switch (target) {
    case 'tollgate':
    case 'tollgate-auth':
    case 'tollgate-budgets':
    case 'tollgate-feed':
      return [join(ROOT, 'bin', 'tollgate.js'), 'start', '--config', configPath];
    case 'baseline':
      return [baseline.bin, 'start', '--config', configPath];
    case 'tollgate-watch':
      return [join(BENCH, 'tollgate-watch.mjs'), '--config', configPath];
    default:
      throw new Error(`not a Tollgate target: ${target}`);
  }
}

/** Where a target's CPU profile goes: Tollgate's in profiles/ (as always), the others' in profiles/<target>/. */
const profileDirOf = (target) => (target === 'tollgate' ? join(RESULTS, 'profiles') : join(RESULTS, 'profiles', target));

/**
 * A virtual key for `tenant`, created as a user creates one: `tollgate keys create` on the
 * configuration's store, before the gateway opens it.
 */
function createKey(configPath, tenant, env) {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'tollgate.js'), 'keys', 'create', '--tenant', tenant, '--json', '--config', configPath], { env, encoding: 'utf8' });
  const { key } = JSON.parse(out);
  if (typeof key !== 'string' || !key.startsWith('tg_')) throw new Error(`tollgate keys create printed no key: ${out.slice(0, 300)}`);
  return key;
}

async function startTargets(workDir, models, baseline) {
  const upstream = await start('upstream', [join(BENCH, 'upstream.mjs')], { stdout: 'listen' });
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const floor = await start('floor', [join(BENCH, 'floor.mjs'), '--upstream', upstreamUrl], { stdout: 'listen' });
  const env = { ...process.env };
  delete env.TOLLGATE_VALIDATE_STREAMS;
  delete env.TOLLGATE_CONFIG;
  const procs = { upstream, floor };
  // Each Tollgate has its own port and its own SQLite store, and the same configuration otherwise.
  for (const target of TARGETS.filter(isTollgate)) {
    const port = await freePort();
    const configPath = join(workDir, `${target}.yaml`);
    const auth = KEYED.includes(target);
    // A budget far from its limit: every call reserves and settles, none is refused.
    const tenants = auth ? [{ name: AUTH_TENANT, ...(target === 'tollgate-budgets' ? { budgets: [{ period: 'month', limit_usd: 1_000_000_000 }] } : {}) }] : undefined;
    // Budgets need prices (an unpriced model is refused to a caller with a budget): both keyed targets get the same ones.
    const pricing = auth && options.budgets ? BENCH_PRICING : undefined;
    // A key prefix of its own: a run never reads another run's budgets.
    const redis = target === 'tollgate-budgets' && options.redis !== undefined ? { url: options.redis, key_prefix: `tollgate-bench-${process.pid}:` } : undefined;
    // The admin API on every keyed target, so that `tollgate-feed` differs from `tollgate-auth` only by its subscriber.
    const adminToken = auth && options.consoleFeed ? FEED_ADMIN_TOKEN : undefined;
    writeFileSync(configPath, tollgateConfig({ upstreamUrl, port, storePath: join(workDir, `${target}.sqlite`), logLevel: options.logLevel, models, tenants, pricing, redis, adminToken }));
    // Every request to the target carries the key (validation, warm-up, load, memory check).
    const headers = auth ? { authorization: `Bearer ${createKey(configPath, AUTH_TENANT, env)}` } : {};
    const nodeFlags = options.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDirOf(target)] : [];
    // Logs go to /dev/null: formatted and written as for a user, read by nobody.
    const proc = await start(target, [...nodeFlags, ...tollgateArgv(target, configPath, baseline)], { env });
    proc.port = port;
    proc.headers = headers;
    await waitHealthy(proc, `http://127.0.0.1:${port}/healthz`);
    procs[target] = proc;
    // A console on the live feed, from before the first request to the end of the run.
    if (target === 'tollgate-feed') procs.feed = await subscribeToFeed(start, { name: 'feed-subscriber', port, token: FEED_ADMIN_TOKEN });
  }
  return procs;
}

/** A scenario's request to a target: URL, body, and the target's own headers (the `tollgate-auth` key). */
function targetRequest(procs, target, scenario) {
  const direct = !isTollgate(target);
  const proc = procs[target === 'direct' ? 'upstream' : target];
  return {
    url: `http://127.0.0.1:${proc.port}${direct ? scenario.directPath : scenario.path}`,
    body: direct ? scenario.directBody : scenario.body,
    headers: proc.headers ?? {},
  };
}

/** One request per scenario and target, checked in full before anything is timed. */
async function validate(procs, scenarios) {
  for (const scenario of scenarios) {
    for (const target of TARGETS) {
      const { url, body, headers } = targetRequest(procs, target, scenario);
      const what = `${scenario.id} via ${target}`;
      try {
        if (KEYED.includes(target)) {
          // Authentication must really be on: without the key the same request is refused.
          const refused = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          await refused.body.dump();
          if (refused.statusCode !== 401) throw new Error(`answered ${refused.statusCode} without a key, expected 401: authentication is not on`);
        }
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text.slice(0, 300)}`);
        const problem = scenario.check(text);
        if (problem) throw new Error(problem);
        if (isTollgate(target) && res.headers['x-tollgate-provider'] !== scenario.provider) {
          throw new Error(`served by provider '${res.headers['x-tollgate-provider']}', expected '${scenario.provider}'`);
        }
        // The budget must really be on: an admitted call with a budget tells Codex where it stands.
        if (target === 'tollgate-budgets' && res.headers['x-codex-secondary-used-percent'] === undefined) throw new Error('no x-codex-secondary-used-percent header: the budget is not on');
      } catch (error) {
        harnessErrors.push(`${what}: ${error.message}`);
      }
    }
  }
}

/** Throws with the process's last words when it has died (a crash under load is a finding, not noise). */
async function assertAlive(proc, what) {
  if (!proc.exited && existsSync(`/proc/${proc.pid}`)) return;
  await Promise.race([proc.whenExited, sleep(2000)]);
  throw new Error(`${proc.name} died during ${what} (exit code ${proc.exitCode}, signal ${proc.exitSignal}). Its stderr:\n${proc.stderr() || '(empty)'}`);
}

async function measure(procs, target, scenario, concurrency, durationS) {
  const proxy = target === 'direct' ? undefined : procs[target];
  const what = `${scenario.id} @ c${concurrency} via ${target}`;
  for (const proc of [proxy, procs.upstream]) if (proc) await assertAlive(proc, what);
  const { url, body, headers } = targetRequest(procs, target, scenario);
  if (proxy) resetPeakRss(proxy.pid);
  const cpu0 = proxy ? cpuNs(proxy.pid) : 0;
  const up0 = cpuNs(procs.upstream.pid);
  const w = await runWrk(procs.wrk, { url, body, headers, concurrency, durationS });
  // Streams cut off by the end of the run wind down; every target pays this alike.
  await sleep(50);
  for (const proc of [proxy, procs.upstream]) if (proc) await assertAlive(proc, what);
  const cpu1 = proxy ? cpuNs(proxy.pid) : 0;
  const up1 = cpuNs(procs.upstream.pid);
  if (w.requests === 0) harnessErrors.push(`${what}: no request completed`);
  if (w.errors.status > 0) harnessErrors.push(`${what}: ${w.errors.status} non-2xx replies`);
  if (w.errors.connect > 0) harnessErrors.push(`${what}: ${w.errors.connect} connection errors`);
  const perReq = (ns) => (w.requests > 0 ? ns / 1000 / w.requests : undefined);
  return {
    target,
    requests: w.requests,
    rps: w.requests / (w.duration_us / 1e6),
    p50Us: w.latency_us.p50,
    p90Us: w.latency_us.p90,
    p99Us: w.latency_us.p99,
    cpuUsPerReq: proxy ? perReq(cpu1 - cpu0) : undefined,
    upstreamCpuUsPerReq: perReq(up1 - up0),
    peakRssMb: proxy ? Math.round((peakRssKb(proxy.pid) / 1024) * 10) / 10 : undefined,
    errors: w.errors,
  };
}

async function runMatrix(procs, plan) {
  const results = [];
  let warmed;
  for (const [index, { scenario, concurrency }] of plan.entries()) {
    if (options.warmupS > 0 && warmed !== scenario.id) {
      for (const target of PROXIES) {
        const w = await runWrk(procs.wrk, { ...targetRequest(procs, target, scenario), concurrency: 16, durationS: options.warmupS });
        // Kept so that a profile's time can be divided by every request the process served.
        warmups.push({ scenario: scenario.id, target, requests: w.requests });
      }
      warmed = scenario.id;
    }
    const durationS = Math.max(1, Math.round(options.durationS * scenario.durationFactor));
    const runs = [];
    for (let round = 0; round < options.repeats; round++) {
      // Rotate the order so that no target always runs first, and reverse it every other round
      // so that no target always runs right after the same other one.
      const rotated = TARGETS.map((_, i) => TARGETS[(i + round + index) % TARGETS.length]);
      const order = round % 2 === 1 ? rotated.reverse() : rotated;
      for (const target of order) {
        // The upstream's own figures move little: at concurrency > 1 once is enough.
        if (target === 'direct' && concurrency > 1 && round > 0) continue;
        if (target !== 'tollgate-feed') {
          runs.push({ round, ...(await measure(procs, target, scenario, concurrency, durationS)) });
          continue;
        }
        // Counted from a settled count (the warm-up's last events may still be arriving) to a
        // settled count, read after the gateway's CPU: the subscriber's waiting is not timed.
        const before = await procs.feed.settle();
        const run = await measure(procs, target, scenario, concurrency, durationS);
        await assertAlive(procs.feed.proc, `${scenario.id} @ c${concurrency} via ${target}`);
        const after = await procs.feed.settle();
        runs.push({ round, ...run, feedEvents: after.requests - before.requests, feedDropped: after.dropped - before.dropped });
      }
    }
    const summary = Object.fromEntries(TARGETS.map((t) => [t, summarise(runs.filter((r) => r.target === t))]));
    const cell = derive({ scenario: scenario.id, group: scenario.group, concurrency, durationS, summary, runs });
    if (procs.feed) cell.feedEvents = checkFeedEvents(runs, `${scenario.id} @ c${concurrency}`);
    const t = cell.summary.tollgate;
    const vsBaseline = cell.ratios.cpuVsBaseline === undefined ? '' : `, ${cell.ratios.cpuVsBaseline.toFixed(3)}× baseline${cell.ratios.overBaselineLimit ? ' (over +5 %)' : ''}`;
    const watch = cell.ratios.cpuWatch === undefined ? '' : `; watched ${cell.ratios.cpuWatch.toFixed(2)}×`;
    const auth = cell.ratios.cpuAuth === undefined ? '' : `; with a key ${cell.ratios.cpuAuth.toFixed(3)}×${cell.ratios.overAuthLimit ? ' (over +5 %)' : ''}`;
    const budgets = cell.ratios.cpuBudgets === undefined ? '' : `; with a budget ${cell.ratios.cpuBudgets.toFixed(3)}× the key alone${cell.ratios.overBudgetsLimit ? ' (over +10 %)' : ''}`;
    const feed =
      cell.ratios.cpuFeed === undefined
        ? ''
        : `; console on the feed ${cell.ratios.cpuFeed.toFixed(3)}× CPU, ${cell.ratios.p50Feed?.toFixed(3)}× p50 the key alone${cell.ratios.overFeedLimit ? ' (over +5 %)' : ''} (${cell.feedEvents.received} events for ${cell.feedEvents.requests} requests)`;
    log(
      `  ${scenario.id.padEnd(26)} c${String(concurrency).padEnd(3)} tollgate ${Math.round(t.rps)} req/s, ${Math.round(t.cpuUsPerReq)} µs CPU/req (${cell.ratios.cpu?.toFixed(2)}× floor${vsBaseline}), p50 +${Math.round(cell.ratios.p50OverFloorUs)} µs over floor${auth}${budgets}${feed}${watch}`,
    );
    results.push(cell);
  }
  return results;
}

/**
 * The events the console received during a cell's timed runs of `tollgate-feed`, against the
 * requests those runs completed: one each, plus one for each call the end of a run cut off (at
 * most the concurrency per run). None at all, fewer than the requests, or any dropped is a
 * harness error: the target would not have been watched as the table says.
 */
function checkFeedEvents(runs, where) {
  const fed = runs.filter((r) => r.target === 'tollgate-feed');
  const received = fed.reduce((sum, r) => sum + r.feedEvents, 0);
  const dropped = fed.reduce((sum, r) => sum + r.feedDropped, 0);
  const requests = fed.reduce((sum, r) => sum + r.requests, 0);
  if (received === 0) harnessErrors.push(`${where} via tollgate-feed: the live-feed subscriber received no event (${requests} requests)`);
  else if (received < requests) harnessErrors.push(`${where} via tollgate-feed: the live-feed subscriber received ${received} events for ${requests} requests`);
  if (dropped > 0) harnessErrors.push(`${where} via tollgate-feed: the gateway dropped ${dropped} events for the live-feed subscriber (it read too slowly)`);
  return { received, dropped, requests };
}

async function memoryChecks(procs, workDir) {
  const chatStream = (target) => ({ target, name: `${target} (Chat stream pass-through)`, path: '/v1/chat/completions', body: chatBody(`trickle-${TRICKLE}`, true) });
  const checks = [
    ...(quick ? [] : [{ target: 'floor', name: 'floor (Chat stream)', path: '/v1/chat/completions', body: chatBody(TRICKLE, true) }]),
    chatStream('tollgate'),
    ...(quick ? [] : [{ target: 'tollgate', name: 'tollgate (Responses from Chat)', path: '/v1/responses', body: responsesBody(`trickle-${TRICKLE}`) }]),
    // The other Tollgate targets: the pass-through streams only (what a watching policy or a key changes).
    ...(quick ? [] : TARGETS.filter((t) => isTollgate(t) && t !== 'tollgate').map(chatStream)),
  ];
  const out = [];
  for (const check of checks) {
    check.proc = procs[check.target];
    const result = await openStreamsCheck({
      proc: check.proc,
      url: `http://127.0.0.1:${check.proc.port}${check.path}`,
      body: check.body,
      headers: check.proc.headers ?? {},
      count: options.streams,
      holdMs: options.holdMs,
      workDir,
    });
    result.target = check.name;
    result.proxy = check.target;
    log(`  ${check.name}: ${result.open}/${result.count} open, peak RSS ${result.rssPeakMb} MB, CPU ${result.cpuPercent}% while open`);
    if (result.open !== result.count) harnessErrors.push(`memory check via ${check.name}: only ${result.open} of ${result.count} streams opened (${JSON.stringify(result.statuses)})`);
    out.push(result);
  }
  return out;
}

function newestProfile(dir, since) {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

async function main() {
  const startedAt = new Date();
  const wrk = findWrk();
  const machineAtStart = wrk === undefined ? undefined : machineInfo(wrk);
  // Taken before the run: the code measured is the code checked out when it started.
  const measuredRevision = revision();
  if (wrk === undefined) throw new Error('wrk is not installed: `apt-get install wrk` (or set WRK=/path/to/wrk).');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('Tollgate is not built: run `npm run build` (npm run bench does it for you).');
  mkdirSync(RESULTS, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const plan = cells();
  const scenarios = [...new Set(plan.map((c) => c.scenario))];
  const models = modelsByProvider(scenarios, [{ provider: 'trickle', body: { model: `trickle-${TRICKLE}` } }]);
  log(`Tollgate benchmark (${quick ? 'quick' : 'full'}): ${plan.length} cells × ${TARGETS.length} targets (${TARGETS.join(', ')}), ${options.repeats} repeat(s) of ${options.durationS} s`);
  let procs;
  let result;
  let baseline;
  // Interrupted (Ctrl-C, a CI timeout): stop what was started and remove the baseline's worktree.
  const interrupted = (signal) => {
    log(`bench: ${signal}: stopping the targets${baseline ? ' and removing the baseline worktree' : ''}`);
    for (const p of started) if (!p.exited) p.child.kill('SIGKILL');
    baseline?.remove();
    rmSync(workDir, { recursive: true, force: true });
    removeBodyFiles();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    if (options.baseline !== undefined) {
      baseline = prepareBaseline(ROOT, options.baseline, log);
      log(`Baseline ${options.baseline} (${baseline.short}) built.`);
    }
    procs = { wrk, ...(await startTargets(workDir, models, baseline)) };
    await validate(procs, scenarios);
    if (harnessErrors.length > 0) throw new Error(`a target answered wrongly:\n  ${harnessErrors.join('\n  ')}`);
    const cellsDone = await runMatrix(procs, plan);
    const memory = args['no-memory'] ? [] : await memoryChecks(procs, workDir);
    result = {
      startedAt: startedAt.toISOString(),
      revision: measuredRevision,
      targets: TARGETS,
      ...(baseline ? { baseline: { ref: baseline.ref, commit: baseline.commit, short: baseline.short } } : {}),
      loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
      elapsedS: 0,
      machine: machineAtStart,
      options,
      scenarios: scenarios.map(({ id, title, group, events, paceMs }) => ({ id, title, group, events, paceMs })),
      cells: cellsDone,
      warmups,
      memory,
      budgets: evaluateBudget(cellsDone, memory),
      comparison: compareTargets(cellsDone),
      harnessErrors,
    };
  } finally {
    await Promise.all(started.map((p) => stopProcess(p)));
    rmSync(workDir, { recursive: true, force: true });
    removeBodyFiles();
    baseline?.remove();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  if (options.profile) {
    result.profiles = {};
    for (const target of TARGETS.filter(isTollgate)) {
      const file = newestProfile(profileDirOf(target), startedAt.getTime());
      if (file) {
        result.profiles[target] = { file, ...summariseProfile(file, 30) };
        log(`\nCPU profile of ${target}: ${file}\n${renderProfile(result.profiles[target])}\n`);
      } else harnessErrors.push(`--profile: ${target} wrote no CPU profile`);
    }
    result.profile = result.profiles.tollgate;
  }
  result.elapsedS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  // Only a complete, unprofiled run is `latest.md`; smoke, partial and profiled runs are kept apart.
  const partial = ['scenarios', 'concurrency', 'cells', 'repeats', 'duration', 'streams', 'no-memory'].some((k) => args[k] !== undefined && args[k] !== false);
  const suffix = quick ? '-quick' : partial ? '-partial' : options.profile ? '-profile' : '';
  const markdown = renderMarkdown(result);
  writeFileSync(join(RESULTS, `${stamp}${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, `latest${suffix}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
  log(`Results: bench/results/${stamp}${suffix}.json, bench/results/latest${suffix}.md (${result.elapsedS} s)`);
  if (harnessErrors.length > 0) {
    log(`\nThe harness reported problems:\n  ${harnessErrors.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});

// Compares the CPU profiles of two Tollgate targets of one profiled run, per request served:
// where one build spends more than the other.
//
//   npm run bench -- --profile --baseline 43d84db --cells chat-sse-500@16 --duration 5 --no-memory
//   node bench/profile-compare.mjs bench/results/<stamp>-partial.json [--a baseline] [--b tollgate] [--top 25]
//
// Self time is divided by every request the target served in the run (the measured runs and the
// warm-ups); functions are keyed by name and file (not line: the builds differ). Module loading
// (start-up, the tokenizer's rank table) is counted too: it shows up as `wrapSafe`, `compileFunction`
// and `readFileUtf8`, which are not in the timed runs' CPU figures.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { a: { type: 'string', default: 'baseline' }, b: { type: 'string', default: 'tollgate' }, top: { type: 'string', default: '25' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node bench/profile-compare.mjs RESULT.json [--a baseline] [--b tollgate] [--top N]\n');
  process.exit(2);
}
const result = JSON.parse(readFileSync(positionals[0], 'utf8'));

function requestsOf(target) {
  const runs = result.cells.flatMap((c) => c.runs).filter((r) => r.target === target);
  const warm = (result.warmups ?? []).filter((w) => w.target === target);
  return [...runs, ...warm].reduce((sum, r) => sum + r.requests, 0);
}

function fileOf(url) {
  if (!url) return '(native)';
  if (url.includes('/dist/')) return `dist/${url.slice(url.lastIndexOf('/dist/') + 6)}`;
  if (url.includes('/node_modules/')) return url.slice(url.lastIndexOf('/node_modules/') + 14).split('/')[0];
  if (url.startsWith('node:')) return url;
  return 'other';
}

function categoryOf(file) {
  if (file.startsWith('dist/')) return 'Tollgate (dist/)';
  if (file.startsWith('node:')) return 'Node core (JS)';
  if (file === '(native)') return 'native (socket writes, GC, …)';
  return file;
}

function load(target) {
  const profile = result.profiles?.[target];
  if (!profile) throw new Error(`no profile of '${target}' in ${positionals[0]} (run with --profile)`);
  const p = JSON.parse(readFileSync(profile.file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const functions = new Map();
  const categories = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const file = fileOf(frame.url);
    const key = `${frame.functionName || '(anonymous)'} ${file}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const category = categoryOf(file);
    categories.set(category, (categories.get(category) ?? 0) + us);
  }
  return { target, requests: requestsOf(target), busy, functions, categories };
}

const a = load(values.a);
const b = load(values.b);
const per = (side, map, key) => (map.get(key) ?? 0) / side.requests;
const num = (v) => v.toFixed(2).padStart(8);
const out = [];
out.push(`${a.target}: ${a.requests} requests, ${(a.busy / a.requests).toFixed(1)} µs busy per request`);
out.push(`${b.target}: ${b.requests} requests, ${(b.busy / b.requests).toFixed(1)} µs busy per request (${((b.busy / b.requests / (a.busy / a.requests) - 1) * 100).toFixed(1)} %)`);
out.push('', `µs per request     ${values.a.padStart(8)} ${values.b.padStart(8)}     diff`);
const categories = [...new Set([...a.categories.keys(), ...b.categories.keys()])].map((k) => ({ k, a: per(a, a.categories, k), b: per(b, b.categories, k) }));
for (const c of categories.sort((x, y) => y.b - x.b)) out.push(`  ${c.k.padEnd(30)} ${num(c.a)} ${num(c.b)} ${num(c.b - c.a)}`);
const rows = [...new Set([...a.functions.keys(), ...b.functions.keys()])].map((k) => ({ k, a: per(a, a.functions, k), b: per(b, b.functions, k) }));
const top = Number(values.top);
const show = (title, list) => {
  out.push('', title);
  for (const r of list) out.push(`  ${num(r.a)} ${num(r.b)} ${num(r.b - r.a)}  ${r.k}`);
};
show(`top ${top} functions of ${b.target} (${values.a}, ${values.b}, diff):`, [...rows].sort((x, y) => y.b - x.b).slice(0, top));
show(`largest increases:`, [...rows].sort((x, y) => y.b - y.a - (x.b - x.a)).slice(0, 15));
show(`largest decreases:`, [...rows].sort((x, y) => x.b - x.a - (y.b - y.a)).slice(0, 15));
process.stdout.write(`${out.join('\n')}\n`);

// Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time.
//
//   node bench/profile-summary.mjs bench/results/profiles/CPU.<...>.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

function location(frame) {
  if (!frame.url) return '';
  const file = frame.url.includes('/node_modules/')
    ? frame.url.slice(frame.url.lastIndexOf('/node_modules/') + 14)
    : frame.url.includes('/dist/')
      ? `dist/${frame.url.slice(frame.url.lastIndexOf('/dist/') + 6)}`
      : frame.url.startsWith('node:')
        ? frame.url
        : basename(frame.url);
  return `${file}:${frame.lineNumber + 1}`;
}

/** `{ totalMs, idleMs, top: [{ name, where, selfMs, percent }] }`; percent of non-idle time. */
export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = location(frame);
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, selfUs: 0 };
    entry.selfUs += us;
    byFunction.set(key, entry);
  }
  const busy = total - idle;
  const rows = [...byFunction.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.selfUs / 100) / 10, percent: Math.round((e.selfUs / busy) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000), top: rows };
}

export function renderProfile(summary) {
  const lines = [`busy ${summary.totalMs - summary.idleMs} ms of ${summary.totalMs} ms sampled`, '', '| self % | self ms | function | where |', '| ---: | ---: | --- | --- |'];
  for (const row of summary.top) lines.push(`| ${row.percent} | ${row.selfMs} | ${row.name} | ${row.where} |`);
  return lines.join('\n');
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
  if (positionals.length === 0) {
    process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  for (const file of positionals) process.stdout.write(`${file}\n\n${renderProfile(summariseProfile(file, Number(values.top)))}\n\n`);
}

// The memory check: many concurrent streams that trickle (one event a second) held open
// through a proxy, while its resident memory and CPU are sampled.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cpuNs, rssKb } from './procs.mjs';

const OPEN_STREAMS = new URL('./open-streams.mjs', import.meta.url).pathname;
const SAMPLE_MS = 250;

/**
 * Opens `count` streams to `url` (the proxy `proc`), with `headers` on each, holds them `holdMs`, and reports
 * `{ count, open, failed, closedEarly, stillOpen, rssBeforeMb, rssPeakMb, rssAfterMb,
 * cpuPercent, holdS }`. Streams must outlast the hold (the upstream's reply is long).
 */
export async function openStreamsCheck({ proc, url, body, headers = {}, count, holdMs, workDir }) {
  const bodyFile = join(workDir, `memory-body-${proc.name}.json`);
  writeFileSync(bodyFile, JSON.stringify(body));
  const rssBefore = rssKb(proc.pid);
  const child = spawn(process.execPath, [OPEN_STREAMS, '--url', url, '--body-file', bodyFile, '--count', String(count), '--hold-ms', String(holdMs), ...Object.entries(headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (text) => {
    stderr += String(text);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  let opened;
  let done;
  let peak = rssBefore;
  let sampler;
  let cpuAtOpen = 0;
  let openedAt = 0;
  let cpuAtDone = 0;
  let doneAt = 0;
  for await (const line of lines) {
    if (line.startsWith('OPEN ')) {
      opened = JSON.parse(line.slice(5));
      cpuAtOpen = cpuNs(proc.pid);
      openedAt = performance.now();
      sampler = setInterval(() => {
        peak = Math.max(peak, rssKb(proc.pid) ?? 0);
      }, SAMPLE_MS);
    } else if (line.startsWith('DONE ')) {
      // Sampled before the sockets close, so the figures are those of the open streams.
      cpuAtDone = cpuNs(proc.pid);
      doneAt = performance.now();
      clearInterval(sampler);
      peak = Math.max(peak, rssKb(proc.pid) ?? 0);
      done = JSON.parse(line.slice(5));
    }
  }
  await exited;
  if (opened === undefined || done === undefined) throw new Error(`the open-streams load process failed against ${proc.name}\n${stderr}`);
  await new Promise((r) => setTimeout(r, 1000));
  const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
  return {
    target: proc.name,
    count,
    open: opened.open,
    failed: opened.failed,
    statuses: opened.statuses,
    closedEarly: done.closedEarly,
    stillOpen: done.stillOpen,
    holdS: Math.round((doneAt - openedAt) / 100) / 10,
    rssBeforeMb: mb(rssBefore),
    rssPeakMb: mb(peak),
    rssAfterMb: mb(rssKb(proc.pid)),
    cpuPercent: Math.round(((cpuAtDone - cpuAtOpen) / ((doneAt - openedAt) * 1e6)) * 1000) / 10,
  };
}

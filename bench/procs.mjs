// Processes under test: starting them, waiting until they answer, and reading what the kernel
// knows about them (CPU time, resident memory) from /proc.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'undici';

const CLOCK_TICK_NS = 10_000_000; // USER_HZ is 100 on Linux on every architecture Node supports.

/** A free TCP port on loopback (for processes that cannot report the port they bound). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a child process. `stdout: 'listen'` reads its `LISTENING <port>` line; otherwise its
 * stdout goes to /dev/null (where a user's logs would go when nobody reads them). `ipc` opens
 * Node's message channel to it (`proc.child.send`, `'message'` events).
 */
export function startProcess(name, args, { env = process.env, stdout = 'ignore', listenTimeoutMs = 15_000, ipc = false } = {}) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', stdout === 'listen' ? 'pipe' : 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr = (stderr + text).slice(-8000);
  });
  const proc = {
    name,
    child,
    pid: child.pid,
    port: undefined,
    exited: false,
    stderr: () => stderr,
  };
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.exitCode = code;
      proc.exitSignal = signal;
      resolve();
    });
  });
  proc.whenExited = exited;
  if (stdout !== 'listen') return Promise.resolve(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report a port within ${listenTimeoutMs} ms\n${stderr}`));
    }, listenTimeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      out += text;
      const match = /LISTENING (\d+)/.exec(out);
      if (match && proc.port === undefined) {
        clearTimeout(timer);
        proc.port = Number(match[1]);
        child.stdout.resume();
        resolve(proc);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${proc.exitCode}, signal ${proc.exitSignal}) before it listened\n${stderr}`));
    });
  });
}

/** Polls `GET url` until it answers 2xx. */
export async function waitHealthy(proc, url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited) throw new Error(`${proc.name} exited (code ${proc.exitCode}) while starting\n${proc.stderr()}`);
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode < 300) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${proc.name} did not become healthy at ${url} within ${timeoutMs} ms\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a child with SIGTERM (its shutdown path runs, and a CPU profile is written), then SIGKILL. */
export async function stopProcess(proc, graceMs = 10_000) {
  if (proc.exited) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.whenExited;
  clearTimeout(timer);
}

/**
 * CPU time the process has used, in nanoseconds: the sum over its threads of
 * /proc/<pid>/task/<tid>/schedstat (nanosecond precision, so that a run of a few slow streams
 * is still measurable), or utime+stime from /proc/<pid>/stat (10 ms ticks) where schedstat is
 * missing. Node's threads (GC helpers, libuv pool) live as long as the process, so the sum
 * does not lose exited threads' time.
 */
export function cpuNs(pid) {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited between readdir and read
      }
    }
    return total;
  } catch {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After the command: state is field 3, utime field 14, stime field 15 (1-based).
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_NS;
  }
}

function statusKb(pid, key) {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

export const rssKb = (pid) => statusKb(pid, 'VmRSS');
export const peakRssKb = (pid) => statusKb(pid, 'VmHWM');

/** Resets the peak-RSS mark (writing 5 to clear_refs), so VmHWM is the peak of the next run. False if not allowed. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

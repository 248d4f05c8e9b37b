// Drives one target with wrk (closed loop: each connection sends its next request when the
// previous reply is complete, so for a stream the latency is the whole stream's duration).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('./wrk-post.lua', import.meta.url).pathname;
let bodyDir;
const bodyFiles = new Map();

/** Removes the request body files written for wrk. */
export function removeBodyFiles() {
  if (bodyDir !== undefined) rmSync(bodyDir, { recursive: true, force: true });
  bodyDir = undefined;
  bodyFiles.clear();
}

export function findWrk() {
  for (const candidate of [process.env.WRK, '/usr/bin/wrk', '/usr/local/bin/wrk']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** wrk reads the body from a file; one file per distinct body. */
function bodyFile(body) {
  const text = JSON.stringify(body);
  let file = bodyFiles.get(text);
  if (file === undefined) {
    bodyDir ??= mkdtempSync(join(tmpdir(), 'tollgate-bench-bodies-'));
    file = join(bodyDir, `body-${bodyFiles.size}.json`);
    writeFileSync(file, text);
    bodyFiles.set(text, file);
  }
  return file;
}

/** Extra request headers as wrk-post.lua reads them: one `name: value` per line. */
export const headerLines = (headers = {}) =>
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');

/**
 * One wrk run, with `headers` added to every request. Returns `{ requests, duration_us, bytes, errors: {connect, read, write, status,
 * timeout}, latency_us: {p50, p90, p99, mean, max, min} }`.
 */
export function runWrk(wrk, { url, body, headers, concurrency, durationS, timeoutS = 30 }) {
  const threads = Math.min(2, concurrency);
  const args = ['-t', String(threads), '-c', String(concurrency), '-d', `${durationS}s`, '--timeout', `${timeoutS}s`, '-s', SCRIPT, url];
  return new Promise((resolve, reject) => {
    execFile(wrk, args, { env: { ...process.env, BENCH_BODY: bodyFile(body), BENCH_HEADERS: headerLines(headers) }, timeout: (durationS + timeoutS + 10) * 1000 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (error || line === undefined) {
        reject(new Error(`wrk failed on ${url}: ${error?.message ?? 'no result line'}\n${stdout}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
  });
}

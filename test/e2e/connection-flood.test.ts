/**
 * A flood of slow connections against the real process under a real limit of
 * open files (`prlimit --nofile`): more connections than the process has
 * descriptors, each sending its headers and then never the whole body. The
 * gateway must refuse the excess with a readable 503 (not run out of
 * descriptors and reset everyone), close the slow ones at the request
 * timeout, and serve normally afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const work = mkdtempSync(join(tmpdir(), 'tollgate-flood-'));

const FD_LIMIT = 256;
const CAP = 150;
const FLOOD = 400;
const REQUEST_TIMEOUT_MS = 2_000;

let child: ChildProcessWithoutNullStreams;
let port = 0;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  const configPath = join(work, 'tollgate.yaml');
  writeFileSync(
    configPath,
    [
      `server: { host: 127.0.0.1, port: 0, headers_timeout: 2s, request_timeout: ${REQUEST_TIMEOUT_MS}ms, max_connections: ${CAP} }`,
      'logging: { level: info }',
      `store: { path: ${join(work, 'usage.sqlite')} }`,
      'providers:',
      '  - { name: sim, kind: mock }',
      'models:',
      '  - { name: m, route: [sim/m] }',
      '',
    ].join('\n'),
  );
  // A hard limit the process cannot raise: Node lifts its soft limit to the hard one at start.
  child = spawn('prlimit', [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--', process.execPath, bin, 'start', '--config', configPath], {
    cwd: work,
    env: { PATH: process.env['PATH'] ?? '', HOME: work },
  });
  const lines = createInterface({ input: child.stdout });
  child.stderr.resume();
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not report its address')), 20_000);
    lines.on('line', (line) => {
      const url = /"url":"(http:[^"]+)"/.exec(line)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(Number(new URL(url).port));
      }
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

interface Outcome {
  text: string;
  error: string | undefined;
  closed: boolean;
}

/** A connection that sends `head` (and nothing more); what comes back is collected until it closes or `timeoutMs` passes. */
function open(head: string, timeoutMs: number): { socket: Socket; outcome: Promise<Outcome> } {
  const socket = connect(port, '127.0.0.1');
  const outcome = new Promise<Outcome>((resolve) => {
    let text = '';
    let error: string | undefined;
    const timer = setTimeout(() => {
      resolve({ text, error, closed: false });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, error, closed: true });
    });
  });
  socket.write(head);
  return { socket, outcome };
}

const status = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const SLOW_HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":"m",';
const HEALTH = 'GET /healthz HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n';

describe(`${FLOOD} slow-body connections against a process limited to ${FD_LIMIT} descriptors`, () => {
  it('refuses the excess with a 503 it can read, times the slow ones out with 408, then serves again', async () => {
    const flood: Array<{ socket: Socket; outcome: Promise<Outcome> }> = [];
    for (let i = 0; i < FLOOD; i++) {
      flood.push(open(SLOW_HEAD, REQUEST_TIMEOUT_MS + 3_000));
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // While the flood holds the gateway: a new client is told so, in a response it can read.
    const during = await open(HEALTH, 1_500).outcome;
    expect(status(during.text), `during the flood: ${JSON.stringify(during)}`).toBe(503);
    expect(during.text).toContain('"code":"too_many_connections"');

    const outcomes = await Promise.all(flood.map((f) => f.outcome));
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(status(o.text), (byStatus.get(status(o.text)) ?? 0) + 1);
    // Every flooding connection got an answer: the cap's 503 or, at the request timeout, a 408. None was left hanging or reset unanswered.
    expect(outcomes.filter((o) => !o.closed)).toEqual([]);
    expect(byStatus.get(0), JSON.stringify([...byStatus])).toBeUndefined();
    expect(byStatus.get(408)).toBe(CAP);
    expect(byStatus.get(503)).toBe(FLOOD - CAP);

    // The slow connections are gone: the gateway serves as before.
    const after = await open(HEALTH, 3_000).outcome;
    expect(status(after.text), `after the flood: ${JSON.stringify(after)}`).toBe(200);
    expect(child.exitCode).toBeNull();
  }, 30_000);
});

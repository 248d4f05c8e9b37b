/**
 * The usage ledger against real file-system failures: the gateway runs as a
 * child process under the unprivileged `nobody` user (uid/gid 65534), so file
 * and directory permissions bite (root would write through a 0444 file).
 * Failures are made for real: a database file made read-only before start, a
 * database file unlinked while the gateway has it open, its directory made
 * read-only (0555) so the file cannot be written back.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

const NOBODY = 65534;
const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

let upstream: OpenAIUpstream;
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  upstream = await startOpenAIUpstream();
}, 180_000);

afterAll(async () => {
  await upstream.close();
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A directory the `nobody` user owns, with a config file for a gateway in front of the test upstream. */
function workDir(store: Record<string, unknown> = {}): { dir: string; db: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-'));
  dirs.push(dir);
  const db = join(dir, 'ledger.sqlite');
  const config = join(dir, 'tollgate.yaml');
  const storeLines = Object.entries({ path: db, ...store })
    .map(([key, value]) => `  ${key}: ${String(value)}`)
    .join('\n');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, port: 0 }
logging: { level: info }
store:
${storeLines}
providers:
  - { name: up, kind: openai-compatible, base_url: "${upstream.url}" }
models:
  - { name: m, route: [up/m] }
`,
  );
  chownSync(dir, NOBODY, NOBODY);
  chownSync(config, NOBODY, NOBODY);
  return { dir, db, config };
}

/** Starts `tollgate start` as `nobody`; resolves once it listens, or with its exit code when it exits first. */
function startChild(config: string, cwd: string): Promise<Child | { code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [bin, 'start', '--config', config, '--port', '0'], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: cwd },
    uid: NOBODY,
    gid: NOBODY,
  });
  children.push(child);
  const logs: LogLine[] = [];
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry['url'] === 'string') resolve({ process: child, url: entry['url'], logs, stderr: () => stderr, exited });
    });
    void exited.then((code) => resolve({ code, stderr, stdout }));
  });
}

async function started(config: string, cwd: string): Promise<Child> {
  const result = await startChild(config, cwd);
  if (!('url' in result)) throw new Error(`gateway exited with ${result.code}: ${result.stderr}${result.stdout}`);
  return result;
}

async function chat(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function chatOk(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await chat(url);
    expect(response.status).toBe(200);
    await response.text();
  }
}

async function readyz(url: string): Promise<{ status: number; body: { checks: { name: string; ok: boolean; error?: string }[] } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: { name: string; ok: boolean; error?: string }[] } };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Every row so far is written (none waits in memory). */
async function written(url: string): Promise<void> {
  await vi.waitFor(async () => expect(await metric(url, 'tollgate_ledger_buffered_rows')).toBe(0), { timeout: 5_000, interval: 50 });
}

/** SIGTERM, then the exit code; the ledger writes what it holds on the way out. */
async function stop(child: Child): Promise<number | null> {
  child.process.kill('SIGTERM');
  return child.exited;
}

function rows(db: string): number {
  const reader = new Database(db);
  try {
    return reader.prepare<[], number>('SELECT COUNT(*) FROM usage').pluck().get() ?? -1;
  } finally {
    reader.close();
  }
}

/** The store fails for real: the file is unlinked under the running gateway and its directory refuses a new one. */
function breakStore(dir: string, db: string): void {
  chmodSync(dir, 0o555);
  unlinkSync(db);
}

function logged(child: Child, level: string, text: string): LogLine | undefined {
  return child.logs.find((l) => l.level === level && l.msg.includes(text));
}

describe('the usage ledger at start', () => {
  it('refuses to start on a read-only database file, naming the path, exit 1', async () => {
    const { dir, db, config } = workDir();
    openSqlite(db).close();
    chownSync(db, NOBODY, NOBODY);
    chmodSync(db, 0o444);
    const result = await Promise.race([
      startChild(config, dir),
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(result).not.toBe('still running');
    expect('url' in (result as object)).toBe(false);
    const failed = result as { code: number | null; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`usage ledger ${db} is not writable (SQLITE_READONLY`);
    expect(failed.stderr).toContain('set store.path');
  }, 30_000);
});

describe('the usage ledger while running', () => {
  it('writes a database file deleted under it back to its path: no row lost', async () => {
    const { dir, db, config } = workDir();
    const child = await started(config, dir);
    await chatOk(child.url, 20);
    await written(child.url);
    unlinkSync(db);
    await chatOk(child.url, 20);
    await vi.waitFor(() => expect(logged(child, 'warn', 'was deleted while open: written back')).toBeDefined(), { timeout: 10_000, interval: 100 });
    expect(existsSync(db)).toBe(true);
    expect((await readyz(child.url)).status).toBe(200);
    expect(await stop(child)).toBe(0);
    expect(rows(db)).toBe(40);
  }, 60_000);

  it('reports a store it cannot write (log, counter, /readyz 503 naming it), keeps the rows and recovers', async () => {
    const { dir, db, config } = workDir();
    const child = await started(config, dir);
    await chatOk(child.url, 10);
    await written(child.url);
    breakStore(dir, db);
    await chatOk(child.url, 10);

    await vi.waitFor(
      async () => {
        const ready = await readyz(child.url);
        expect(ready.status).toBe(503);
        const store = ready.body.checks.find((c) => c.name === 'store');
        expect(store?.ok).toBe(false);
        expect(store?.error).toContain(`usage ledger ${db}`);
        expect(store?.error).toContain('row(s) kept in memory');
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(await metric(child.url, 'tollgate_ledger_write_errors_total')).toBeGreaterThan(0);
    expect(await metric(child.url, 'tollgate_ledger_buffered_rows')).toBe(10);
    await vi.waitFor(() => expect(logged(child, 'warn', `usage ledger ${db} cannot be written`)).toBeDefined(), { timeout: 5_000, interval: 100 });
    // One warning for the whole outage, not one per row or retry.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(child.logs.filter((l) => l.msg.includes('cannot be written')).length).toBe(1);

    chmodSync(dir, 0o755);
    await vi.waitFor(async () => expect((await readyz(child.url)).status).toBe(200), { timeout: 40_000, interval: 250 });
    await vi.waitFor(() => expect(logged(child, 'info', `usage ledger ${db} is written again`)).toBeDefined(), { timeout: 5_000, interval: 100 });
    expect(await metric(child.url, 'tollgate_ledger_buffered_rows')).toBe(0);
    await chatOk(child.url, 5);
    expect(await stop(child)).toBe(0);
    expect(rows(db)).toBe(25);
  }, 90_000);
});

describe('the usage ledger when its buffer is full', () => {
  it('store.when_full: refuse — new requests get an OpenAI-shaped 503 naming the cause; no admitted row is lost', async () => {
    const { dir, db, config } = workDir({ max_buffered_rows: 5, when_full: 'refuse' });
    const child = await started(config, dir);
    await chatOk(child.url, 3);
    await written(child.url);
    breakStore(dir, db);
    await chatOk(child.url, 5);
    await vi.waitFor(async () => expect((await readyz(child.url)).status).toBe(503), { timeout: 10_000, interval: 100 });
    const refused = await chat(child.url);
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as { error: { message: string; type: string; code: string; param: unknown } };
    expect(body.error).toMatchObject({ type: 'server_error', code: 'usage_ledger_unavailable', param: null });
    expect(body.error.message).toContain('cannot record usage');
    expect(body.error.message).toContain('the usage store fails to write (');
    expect(body.error.message).toContain('buffer of 5 unwritten rows is full');
    await vi.waitFor(() => expect(logged(child, 'warn', 'refusing new requests')).toBeDefined(), { timeout: 5_000, interval: 100 });

    chmodSync(dir, 0o755);
    await vi.waitFor(async () => expect((await readyz(child.url)).status).toBe(200), { timeout: 40_000, interval: 250 });
    await chatOk(child.url, 1);
    expect(await metric(child.url, 'tollgate_ledger_rows_dropped_total')).toBeFalsy();
    expect(await stop(child)).toBe(0);
    // 3 before, 5 buffered through the outage, 1 after; the refused call has no row.
    expect(rows(db)).toBe(9);
  }, 90_000);

  it('store.when_full: serve_unmetered — requests are served, dropped rows counted and logged', async () => {
    const { dir, db, config } = workDir({ max_buffered_rows: 5, when_full: 'serve_unmetered' });
    const child = await started(config, dir);
    await chatOk(child.url, 3);
    await written(child.url);
    breakStore(dir, db);
    await chatOk(child.url, 8);
    await vi.waitFor(async () => expect(await metric(child.url, 'tollgate_ledger_rows_dropped_total')).toBe(3), { timeout: 20_000, interval: 250 });
    // Logged once per write attempt (log lines reach stdout within a second).
    await vi.waitFor(
      () => {
        const drops = child.logs.filter((l) => l.level === 'error' && l.msg.startsWith('usage ledger dropped') && l['reason'] === 'overflow');
        expect(drops.reduce((sum, l) => sum + Number(l['dropped']), 0)).toBe(3);
        expect(drops[0]?.msg).toContain('the buffer of 5 rows was full while the store failed (store.when_full: serve_unmetered)');
      },
      { timeout: 5_000, interval: 100 },
    );

    chmodSync(dir, 0o755);
    await vi.waitFor(async () => expect((await readyz(child.url)).status).toBe(200), { timeout: 40_000, interval: 250 });
    expect(await stop(child)).toBe(0);
    expect(rows(db)).toBe(3 + 5);
  }, 90_000);
});

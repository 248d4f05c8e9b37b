/**
 * Real Prometheus and Alertmanager processes for the operations tests: binary
 * lookup, start with captured output, readiness polling and shutdown.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const INSTALL_HINT = 'run scripts/ci/install-tools.sh (apt-get install prometheus prometheus-alertmanager wrk nginx)';

/** The absolute path of `name` on PATH; a missing tool fails the test with the way to install it. */
export function requireBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found on PATH: ${INSTALL_HINT}`);
}

/** A port that was free a moment ago, for tools that cannot report the port they bound. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const OUTPUT_LIMIT = 64 * 1024;

export interface Daemon {
  readonly name: string;
  readonly url: string;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

function startDaemon(name: string, bin: string, args: readonly string[], url: string): Daemon {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exitedWith: string | undefined;
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = signal ?? String(code);
      resolve();
    });
    child.once('error', (error) => {
      exitedWith = error.message;
      append(Buffer.from(`\nspawn failed: ${error.message}\n`));
      resolve();
    });
  });
  return {
    name,
    url,
    output: () => output,
    exited: () => exitedWith !== undefined,
    async stop() {
      if (exitedWith !== undefined) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

/** Polls `probe` until it returns a value, the deadline passes or `daemon` exits. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, daemon?: Daemon): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (daemon?.exited()) throw new Error(`${daemon.name} exited while waiting for ${what}:\n${daemon.output()}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  const tail = daemon ? `\n--- ${daemon.name} output:\n${daemon.output()}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${tail}`);
}

async function ready(url: string): Promise<true | undefined> {
  const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.ok ? true : undefined;
}

/**
 * Starts a daemon that listens on `--web.listen-address` and waits for
 * `/-/ready`. The port is picked just before the start; if another process
 * took it in between, a fresh port is tried.
 */
export async function startReadyDaemon(name: string, bin: string, args: (address: string) => readonly string[], timeoutMs = 20_000): Promise<Daemon> {
  let lastFailure: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const address = `127.0.0.1:${await freePort()}`;
    const daemon = startDaemon(name, bin, args(address), `http://${address}`);
    try {
      await waitFor(`${name} to be ready`, timeoutMs, () => ready(daemon.url), daemon);
      return daemon;
    } catch (error) {
      lastFailure = error;
      await daemon.stop();
      if (!/address already in use/i.test(daemon.output())) throw error;
    }
  }
  throw lastFailure instanceof Error ? lastFailure : new Error(String(lastFailure));
}

/**
 * A real `tollgate start` child process for the lifecycle tests: started
 * from the built `bin/tollgate.js`, its stdout (JSON log lines) and stderr
 * captured, its exit awaited with a timeout.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const root = new URL('../../..', import.meta.url).pathname;
export const bin = join(root, 'bin', 'tollgate.js');

/** Builds dist/ when a source file is newer (the child runs the built code). */
export function buildIfNeeded(): void {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from the spawn. */
  readonly afterMs: number;
}

export interface GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly spawnedAt: number;
  /** Log lines (parsed JSON) written so far. */
  readonly logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the exit; rejects (and kills the child) after `timeoutMs`. */
  exit(timeoutMs: number): Promise<Exit>;
  /** Resolves with the first log line `predicate` accepts. */
  logLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  kill(): void;
}

export function startGatewayProcess(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): GatewayProcess {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: options.env });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: performance.now() - spawnedAt }));
  });
  return {
    child,
    spawnedAt,
    logs,
    stderr: () => stderr,
    async exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`tollgate ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async logLine(predicate, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(predicate);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`tollgate exited (${child.exitCode}) before the expected log line; stderr: ${stderr}`);
        const left = end - Date.now();
        if (left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The Codex CLI version these tests were verified against (see PROTOCOL notes in docs/codex.md). */
export const CODEX_VERSION = '0.169.0';

const root = new URL('../..', import.meta.url).pathname;
const cacheDir = join(root, '.cache', 'codex');
const binary = join(cacheDir, 'node_modules', '.bin', 'codex');

/**
 * The real Codex CLI from npm, installed on first use into `.cache/codex`
 * (about 400 MB, so it is not a regular dependency).
 */
export async function ensureCodex(): Promise<string> {
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', cacheDir, `@openai/codex@${CODEX_VERSION}`], {
    timeout: 600_000,
  });
  if (!existsSync(binary)) throw new Error(`npm did not install the codex binary at ${binary}`);
  return binary;
}

export interface CodexRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CodexExecOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly prompt: string;
  /** Working directory Codex may write to. */
  readonly cwd: string;
  readonly timeoutMs?: number;
  /** Extra lines appended to config.toml. */
  readonly extraConfig?: readonly string[];
}

/** Runs `codex exec` against a gateway, with a private CODEX_HOME and no sandbox (the test owns the directory). */
export async function codexExec(options: CodexExecOptions): Promise<CodexRun> {
  const codex = await ensureCodex();
  const home = mkdtempSync(join(cacheDir, 'home-'));
  writeFileSync(
    join(home, 'config.toml'),
    [
      `model = ${JSON.stringify(options.model)}`,
      'model_provider = "tollgate"',
      'model_context_window = 131072',
      '',
      '[model_providers.tollgate]',
      'name = "Tollgate"',
      `base_url = ${JSON.stringify(`${options.baseUrl}/v1`)}`,
      'env_key = "TOLLGATE_API_KEY"',
      'wire_api = "responses"',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child = spawn(codex, ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '--color', 'never', options.prompt], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: home, CODEX_HOME: home, TOLLGATE_API_KEY: 'tollgate-test-key', RUST_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

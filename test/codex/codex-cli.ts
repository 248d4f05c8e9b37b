import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The Codex CLI version these tests were verified against (see PROTOCOL notes in docs/codex.md); the default everywhere. */
export const CODEX_VERSION = '0.169.0';
/** The newest Codex CLI release the suite also runs against (2026-12-05). */
export const CODEX_LATEST = '0.171.0';

const root = new URL('../..', import.meta.url).pathname;
const cacheRoot = join(root, '.cache', 'codex');

/** `.cache/codex/<version>`: one npm prefix per Codex version, so versions never overwrite each other. */
function versionDir(version: string): string {
  if (!/^\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(version)) throw new Error(`not a Codex CLI version: ${JSON.stringify(version)}`);
  return join(cacheRoot, version);
}

function binaryIn(dir: string): string {
  return join(dir, 'node_modules', '.bin', 'codex');
}

/**
 * The real Codex CLI from npm at `version`, installed on first use into
 * `.cache/codex/<version>` (about 400 MB each, so it is not a regular
 * dependency). The install goes to a private directory first and is renamed
 * into place, so test files that ask for the same version at once (vitest runs
 * files in parallel) never see a half-installed package.
 */
export async function ensureCodex(version: string = CODEX_VERSION): Promise<string> {
  const dir = versionDir(version);
  const binary = binaryIn(dir);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, `.install-${version}-`));
  try {
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', staging, `@openai/codex@${version}`], {
      timeout: 600_000,
    });
    if (!existsSync(binaryIn(staging))) throw new Error(`npm did not install the codex binary at ${binaryIn(staging)}`);
    // A directory left by an interrupted install of the old layout holds no binary: replace it.
    if (existsSync(dir) && !existsSync(binary)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process finished the same install first; its copy is as good as ours.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
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
  /** Codex CLI version to run (default CODEX_VERSION). */
  readonly version?: string;
  readonly timeoutMs?: number;
  /** Extra lines appended to config.toml. */
  readonly extraConfig?: readonly string[];
  /** What Codex sends as its key (`env_key`): a virtual key of the gateway (default: a placeholder). */
  readonly apiKey?: string;
}

/**
 * Runs `codex exec` against a gateway, with a private CODEX_HOME (removed
 * afterwards) and no sandbox (the test owns the directory).
 */
export async function codexExec(options: CodexExecOptions): Promise<CodexRun> {
  const version = options.version ?? CODEX_VERSION;
  const codex = await ensureCodex(version);
  const home = mkdtempSync(join(versionDir(version), 'home-'));
  try {
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
      env: { PATH: process.env['PATH'] ?? '', HOME: home, CODEX_HOME: home, TOLLGATE_API_KEY: options.apiKey ?? 'tollgate-test-key', RUST_LOG: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    }).finally(() => clearTimeout(timer));
    return { code, stdout, stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const work = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
/** An environment with no OpenAI key and an Ollama address nobody listens on: the demo must not need either. */
const env = { PATH: process.env['PATH'] ?? '', HOME: work, OLLAMA_HOST: '127.0.0.1:9' };

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
}, 120_000);

describe('tollgate start --demo (the README quick start)', () => {
  let child: ChildProcessWithoutNullStreams;
  let url = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [bin, 'start', '--demo', '--port', '0'], { cwd: work, env });
    const lines = createInterface({ input: child.stdout });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not report its address')), 15_000);
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { url?: string };
        if (entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
  }, 30_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('answers a chat completion with no upstream and no key', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tollgate-demo', messages: [{ role: 'user', content: 'Hello, gateway' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: { total_tokens: number } };
    expect(body.choices[0]?.message.content).toContain('Hello, gateway');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-tollgate-provider')).toBe('demo');
  });

  it('streams', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'Stream please' }] }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.length).toBeGreaterThan(3);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('lists the demo model and shuts down cleanly on SIGTERM', async () => {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toContain('tollgate-demo');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The usage ledger (SQLite in the working directory) holds a row for every request served before the shutdown.
    const db = new Database(join(work, 'tollgate.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT route_model AS model, status FROM usage ORDER BY time').all() as Array<{ model: string; status: string }>;
      expect(rows).toEqual([
        { model: 'tollgate-demo', status: 'ok' },
        { model: 'tollgate-demo', status: 'ok' },
      ]);
      expect((db.pragma('journal_mode', { simple: true }) as string).toLowerCase()).toBe('wal');
    } finally {
      db.close();
    }
  });
});

describe('tollgate check-config and codex-config', () => {
  it('prints the resolved routes of a valid file without secrets', () => {
    const file = join(work, 'ok.yaml');
    writeFileSync(
      file,
      ['providers:', '  - { name: vllm, kind: openai-compatible, base_url: "http://gpu-box:8000/v1", api_key: "sk-very-secret" }', 'models:', '  - { name: coder, route: [vllm/Qwen/Qwen2.5-Coder-32B-Instruct] }', ''].join('\n'),
    );
    const { code, stdout } = run(['check-config', '--config', file]);
    expect(code).toBe(0);
    expect(stdout).toContain('coder');
    expect(stdout).toContain('vllm/Qwen/Qwen2.5-Coder-32B-Instruct');
    expect(stdout).not.toContain('sk-very-secret');
  });

  it('rejects a bad file naming the YAML path and line', () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, ['providers:', '  - name: vllm', '    kind: openai-compatible', '    base_ur: "http://x/v1"', 'models: []', ''].join('\n'));
    const { code, stderr } = run(['check-config', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/providers\[0\]\.base_ur/);
    expect(stderr).toMatch(/line 4/);
  });

  it('codex-config prints a provider block speaking the Responses API', () => {
    const { code, stdout } = run(['codex-config', '--demo', '--model', 'tollgate-demo']);
    expect(code).toBe(0);
    expect(stdout).toContain('model = "tollgate-demo"');
    expect(stdout).toContain('wire_api = "responses"');
    expect(stdout).toContain('base_url = "http://127.0.0.1:8787/v1"');
  });

  it('unknown commands exit 2 with usage', () => {
    const { code, stderr } = run(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage:');
  });
});

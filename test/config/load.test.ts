import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SMALL = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';

describe('loadConfig', () => {
  it('reads the file given by path', () => {
    const path = writeConfig('a.yaml', SMALL);
    const config = loadConfig({ path, env: {} });
    expect(config.source).toBe(path);
    expect(config.models.map((m) => m.name)).toEqual(['m']);
  });

  it('falls back to TOLLGATE_CONFIG, then to the embedded default', () => {
    const path = writeConfig('b.yaml', SMALL);
    expect(loadConfig({ env: { TOLLGATE_CONFIG: path } }).source).toBe(path);
    expect(loadConfig({ env: {} }).source).toBe('embedded default');
    expect(loadConfig({ env: { TOLLGATE_CONFIG: '' } }).source).toBe('embedded default');
  });

  it('prefers the explicit path over TOLLGATE_CONFIG', () => {
    const path = writeConfig('c.yaml', SMALL);
    expect(loadConfig({ path, env: { TOLLGATE_CONFIG: join(dir, 'missing.yaml') } }).source).toBe(path);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'nope.yaml');
    expect(() => loadConfig({ path, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ path, env: {} })).toThrow(`Invalid configuration in ${path} (1 problem):\n  cannot read the configuration file: no such file`);
    expect(() => loadConfig({ env: { TOLLGATE_CONFIG: path } })).toThrow('cannot read the configuration file (named by TOLLGATE_CONFIG): no such file');
    expect(() => loadConfig({ path: dir, env: {} })).toThrow('it is a directory, not a file');
  });

  it('uses the embedded default with demo when no file is given', () => {
    const config = loadConfig({ env: {}, demo: true });
    expect(config.models.map((m) => m.name)).toContain('tollgate-demo');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('adds the demo provider and model to a file configuration when their names are free', () => {
    const config = loadConfig({ path: writeConfig('d.yaml', SMALL), env: {}, demo: true });
    expect(config.providers.map((p) => [p.name, p.kind])).toEqual([
      ['local', 'ollama'],
      ['demo', 'mock'],
    ]);
    expect(config.models.map((m) => [m.name, m.aliases])).toEqual([
      ['m', []],
      ['tollgate-demo', ['demo']],
    ]);
    expect(Object.isFrozen(config.providers[1])).toBe(true);
  });

  it('keeps a free demo model but drops a taken alias', () => {
    const text = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: demo, route: [local/demo] }]\n';
    const config = loadConfig({ path: writeConfig('e.yaml', text), env: {}, demo: true });
    expect(config.models.map((m) => [m.name, m.aliases])).toEqual([
      ['demo', []],
      ['tollgate-demo', []],
    ]);
  });

  it('adds nothing when the demo provider name is taken', () => {
    const text = 'providers: [{ name: demo, kind: ollama }]\nmodels: [{ name: m, route: [demo/m] }]\n';
    const config = loadConfig({ path: writeConfig('f.yaml', text), env: {}, demo: true });
    expect(config.providers.map((p) => p.name)).toEqual(['demo']);
    expect(config.models.map((m) => m.name)).toEqual(['m']);
  });

  it('parses examples/tollgate.yaml with the variables it needs', () => {
    const path = new URL('../../examples/tollgate.yaml', import.meta.url).pathname;
    const config = loadConfig({ path, env: { OPENAI_API_KEY: 'sk-example', VLLM_API_KEY: 'vllm-example' } });
    expect(config.providers.map((p) => [p.name, p.kind])).toEqual([
      ['openai', 'openai'],
      ['local', 'ollama'],
      ['vllm', 'openai-compatible'],
      ['vllm2', 'openai-compatible'],
    ]);
    expect(config.pricing.models).toEqual([{ provider: 'local', model: '*', input: 0.05, output: 0.2, shadow: true }]);
    expect(config.models.find((m) => m.name === 'codex-mini')?.route[0]?.api).toBe('responses');
    expect(config.models.find((m) => m.name === 'coder')?.balancing).toBe('least_inflight');
    expect(config.providers[1]?.requestDefaults).toEqual({ options: { num_ctx: 32768 } });
    expect(config.providers[2]).toMatchObject({ baseUrl: 'http://gpu-box.internal:8000/v1', apiKey: 'vllm-example' });
    const oss = config.models.find((m) => m.name === 'gpt-oss:20b');
    expect(oss?.route).toEqual([
      { provider: 'local', model: 'gpt-oss:20b', weight: 1, priority: 1 },
      { provider: 'vllm', model: 'openai/gpt-oss-20b', weight: 1, priority: 2 },
    ]);
    expect(oss?.aliases).toContain('oss');
    expect(config.models.some((m) => m.name.includes('*'))).toBe(true);
  });

  it('names the variables examples/tollgate.yaml needs when they are missing', () => {
    const path = new URL('../../examples/tollgate.yaml', import.meta.url).pathname;
    let message = '';
    try {
      loadConfig({ path, env: {} });
    } catch (err) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toMatch(/providers\[0\]\.api_key \(line \d+:\d+\): environment variable OPENAI_API_KEY is not set/);
    expect(message).toMatch(/providers\[2\]\.api_key \(line \d+:\d+\): environment variable VLLM_API_KEY is not set/);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from '../../src/config/constants.js';
import { ConfigError, defaultConfig, ollamaBaseUrl } from '../../src/config/index.js';

const RESILIENCE = { retry: DEFAULT_RETRY, circuitBreaker: DEFAULT_CIRCUIT_BREAKER };

const names = (items: readonly { name: string }[]): string[] => items.map((i) => i.name);

describe('defaultConfig', () => {
  it('serves Ollama only when OPENAI_API_KEY is unset', () => {
    const config = defaultConfig({}, { demo: false });
    expect(config.source).toBe('embedded default');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8787, bodyLimitBytes: 10 * 1024 * 1024, shutdownGraceMs: 30_000, shutdownDelayMs: 0, streamKeepaliveMs: 20_000, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, maxConnections: 'auto', upstreamReplyLimitBytes: 64 * 1024 * 1024, streamOutputLimitBytes: 2 * 1024 * 1024 });
    expect(config.store).toEqual({ kind: 'sqlite', path: './tollgate.sqlite', maxBufferedRows: 100_000, whenFull: 'refuse' });
    expect(config.providers).toEqual([
      {
        name: 'ollama',
        kind: 'ollama',
        baseUrl: 'http://127.0.0.1:11434',
        apiKey: '',
        headers: {},
        requestDefaults: {},
        maxConnections: 64,
        timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
        ...RESILIENCE,
      },
    ]);
    expect(config.models).toEqual([
      {
        name: 'gpt-oss:20b',
        aliases: [],
        route: [{ provider: 'ollama', model: 'gpt-oss:20b', weight: 1, priority: 1 }],
        balancing: 'weighted',
        contextWindow: 131072,
      },
      {
        name: 'ollama/*',
        aliases: [],
        route: [{ provider: 'ollama', model: '*', weight: 1, priority: 1 }],
        balancing: 'weighted',
        description: 'Any model pulled into the local Ollama, by its Ollama name',
      },
    ]);
  });

  it('adds OpenAI and its models when OPENAI_API_KEY is set', () => {
    const config = defaultConfig({ OPENAI_API_KEY: ' sk-env ' }, { demo: false });
    expect(names(config.providers)).toEqual(['openai', 'ollama']);
    const openai = config.providers[0];
    expect(openai).toMatchObject({ kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-env', timeouts: { firstByteMs: 60_000 } });
    expect(names(config.models)).toEqual(['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o-mini', 'o4-mini', 'gpt-oss:20b', 'openai/*', 'ollama/*']);
    for (const model of ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o-mini', 'o4-mini']) {
      expect(config.models.find((m) => m.name === model)?.route).toEqual([{ provider: 'openai', model, weight: 1, priority: 1 }]);
    }
    expect(config.models.find((m) => m.name === 'openai/*')?.route).toEqual([{ provider: 'openai', model: '*', weight: 1, priority: 1 }]);
  });

  it('ignores an empty OPENAI_API_KEY', () => {
    expect(names(defaultConfig({ OPENAI_API_KEY: '' }, { demo: false }).providers)).toEqual(['ollama']);
  });

  it('reads OLLAMA_HOST', () => {
    const config = defaultConfig({ OLLAMA_HOST: 'gpu-box:11500' }, { demo: false });
    expect(config.providers[0]?.baseUrl).toBe('http://gpu-box:11500');
  });

  it('rejects an OLLAMA_HOST it cannot dial, without echoing it', () => {
    expect(() => defaultConfig({ OLLAMA_HOST: 'unix://sock' }, { demo: false })).toThrow(ConfigError);
    expect(() => defaultConfig({ OLLAMA_HOST: 'unix://sock' }, { demo: false })).toThrow(/OLLAMA_HOST: expected host, host:port or an http\(s\) URL/);
  });

  it('adds the simulated demo model with --demo', () => {
    const config = defaultConfig({}, { demo: true });
    expect(names(config.providers)).toEqual(['demo', 'ollama']);
    expect(config.providers[0]).toEqual({
      name: 'demo',
      kind: 'mock',
      baseUrl: '',
      apiKey: '',
      headers: {},
      requestDefaults: {},
      maxConnections: 64,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
      ...RESILIENCE,
      latencyMs: 0,
      tokensPerSecond: 0,
      scripts: {},
    });
    const demo = config.models[0];
    expect(demo?.name).toBe('tollgate-demo');
    expect(demo?.aliases).toEqual(['demo']);
    expect(demo?.route).toEqual([{ provider: 'demo', model: 'tollgate-demo', weight: 1, priority: 1 }]);
  });

  it('combines demo, OpenAI and Ollama', () => {
    const config = defaultConfig({ OPENAI_API_KEY: 'k', OLLAMA_HOST: '0.0.0.0' }, { demo: true });
    expect(names(config.providers)).toEqual(['demo', 'openai', 'ollama']);
    expect(config.providers[2]?.baseUrl).toBe('http://127.0.0.1:11434');
  });
});

describe('ollamaBaseUrl (OLLAMA_HOST as the Ollama CLI reads it)', () => {
  it.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['  "127.0.0.1:11434" ', 'http://127.0.0.1:11434'],
    ['gpu-box', 'http://gpu-box:11434'],
    ['gpu-box:12000', 'http://gpu-box:12000'],
    [':12000', 'http://127.0.0.1:12000'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:11434', 'http://127.0.0.1:11434'],
    ['[::]:11434', 'http://[::1]:11434'],
    ['[fd00::5]:8080', 'http://[fd00::5]:8080'],
    ['::1', 'http://[::1]:11434'],
    ['http://gpu-box', 'http://gpu-box:80'],
    ['https://ollama.internal', 'https://ollama.internal:443'],
    ['https://ollama.internal:8443/proxy/', 'https://ollama.internal:8443/proxy'],
    ['gpu-box:notaport', 'http://gpu-box:11434'],
    ['gpu-box:99999', 'http://gpu-box:11434'],
    ['ollama.com', 'https://ollama.com:443'],
  ])('%j → %s', (value, expected) => {
    expect(ollamaBaseUrl(value)).toBe(expected);
  });
});

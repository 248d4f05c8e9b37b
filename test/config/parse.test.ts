import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from '../../src/config/constants.js';
import { parseConfigText, type GatewayConfig } from '../../src/config/index.js';

const RESILIENCE = { retry: DEFAULT_RETRY, circuitBreaker: DEFAULT_CIRCUIT_BREAKER };

const FULL = `
server:
  host: 0.0.0.0
  port: 9000
  body_limit: 512kb
  shutdown_grace: 1m30s
  upstream_reply_limit: 16mb
logging:
  level: debug
store:
  kind: sqlite
  path: /var/lib/tollgate/db.sqlite
  max_buffered_rows: 5000
  when_full: serve_unmetered
providers:
  - name: openai
    kind: openai
    base_url: https://api.openai.com/v1/
    api_key: \${OPENAI_API_KEY}
    organization: org-123
    project: proj_456
    headers: { X-Trace: "on" }
    max_connections: 32
  - name: local
    kind: ollama
    keep_alive: 30m
    request_defaults: { options: { num_ctx: 32768 } }
    timeouts: { connect: 2s, first_byte: 5m, idle: 90000 }
  - name: vllm
    kind: openai-compatible
    base_url: http://gpu-box:8000/v1
    api_key: \${VLLM_KEY:-}
  - name: sim
    kind: mock
    latency: 250ms
    tokens_per_second: 40
    scripts:
      "*": { reply: hello }
      coder:
        reasoning: thinking hard
        tool_calls:
          - { name: shell, arguments: { command: [ls, -la] } }
          - { name: noop }
models:
  - name: gpt-oss:20b
    aliases: [oss]
    route: [local/gpt-oss:20b, vllm/openai/gpt-oss-20b]
    context_window: 131072
    description: local first
  - name: balanced
    route:
      - { provider: openai, model: gpt-4.1-mini, weight: 3 }
      - { provider: vllm, model: mini }
  - name: "ollama/*"
    route: ["local/*"]
  - name: sim-model
    route: [sim/coder]
`;

const EXPECTED: GatewayConfig = {
  source: 'full.yaml',
  server: { host: '0.0.0.0', port: 9000, bodyLimitBytes: 512 * 1024, shutdownGraceMs: 90_000, shutdownDelayMs: 0, streamKeepaliveMs: 20_000, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, maxConnections: 'auto', upstreamReplyLimitBytes: 16 * 1024 * 1024, streamOutputLimitBytes: 2 * 1024 * 1024 },
  auth: { adminToken: undefined, anonymousTenant: undefined, trustedProxy: undefined },
  tenants: [],
  notifications: {},
  logging: { level: 'debug' },
  store: { kind: 'sqlite', path: '/var/lib/tollgate/db.sqlite', maxBufferedRows: 5_000, whenFull: 'serve_unmetered' },
  resilience: RESILIENCE,
  pricing: { useDefaults: true, models: [] },
  providers: [
    {
      name: 'openai',
      kind: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-test',
      headers: { 'X-Trace': 'on' },
      requestDefaults: {},
      maxConnections: 32,
      timeouts: { connectMs: 10_000, firstByteMs: 60_000, idleMs: 60_000, totalMs: 300_000 },
      ...RESILIENCE,
      organization: 'org-123',
      project: 'proj_456',
    },
    {
      name: 'local',
      kind: 'ollama',
      baseUrl: 'http://127.0.0.1:11434',
      apiKey: '',
      headers: {},
      requestDefaults: { options: { num_ctx: 32768 } },
      maxConnections: 64,
      timeouts: { connectMs: 2000, firstByteMs: 300_000, idleMs: 90_000, totalMs: 600_000 },
      ...RESILIENCE,
      keepAlive: '30m',
    },
    {
      name: 'vllm',
      kind: 'openai-compatible',
      baseUrl: 'http://gpu-box:8000/v1',
      apiKey: '',
      headers: {},
      requestDefaults: {},
      maxConnections: 64,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
      ...RESILIENCE,
    },
    {
      name: 'sim',
      kind: 'mock',
      baseUrl: '',
      apiKey: '',
      headers: {},
      requestDefaults: {},
      maxConnections: 64,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
      ...RESILIENCE,
      latencyMs: 250,
      tokensPerSecond: 40,
      scripts: {
        '*': { reply: 'hello' },
        coder: {
          reasoning: 'thinking hard',
          toolCalls: [
            { name: 'shell', arguments: { command: ['ls', '-la'] } },
            { name: 'noop', arguments: {} },
          ],
        },
      },
    },
  ],
  models: [
    {
      name: 'gpt-oss:20b',
      aliases: ['oss'],
      route: [
        { provider: 'local', model: 'gpt-oss:20b', weight: 1, priority: 1 },
        { provider: 'vllm', model: 'openai/gpt-oss-20b', weight: 1, priority: 2 },
      ],
      balancing: 'weighted',
      contextWindow: 131072,
      description: 'local first',
    },
    {
      name: 'balanced',
      aliases: [],
      route: [
        { provider: 'openai', model: 'gpt-4.1-mini', weight: 3, priority: 1 },
        { provider: 'vllm', model: 'mini', weight: 1, priority: 2 },
      ],
      balancing: 'weighted',
    },
    { name: 'ollama/*', aliases: [], route: [{ provider: 'local', model: '*', weight: 1, priority: 1 }], balancing: 'weighted' },
    { name: 'sim-model', aliases: [], route: [{ provider: 'sim', model: 'coder', weight: 1, priority: 1 }], balancing: 'weighted' },
  ],
};

describe('parseConfigText', () => {
  it('resolves a full configuration into the camelCase GatewayConfig', () => {
    const config = parseConfigText(FULL, 'full.yaml', { OPENAI_API_KEY: 'sk-test' });
    expect(config).toStrictEqual(EXPECTED);
  });

  it('applies every default to a minimal configuration', () => {
    const config = parseConfigText('providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n', 'min.yaml', {});
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8787, bodyLimitBytes: 10 * 1024 * 1024, shutdownGraceMs: 30_000, shutdownDelayMs: 0, streamKeepaliveMs: 20_000, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, maxConnections: 'auto', upstreamReplyLimitBytes: 64 * 1024 * 1024, streamOutputLimitBytes: 2 * 1024 * 1024 });
    expect(config.logging).toEqual({ level: 'info' });
    expect(config.store).toEqual({ kind: 'sqlite', path: './tollgate.sqlite', maxBufferedRows: 100_000, whenFull: 'refuse' });
    expect(config.providers[0]).toEqual({
      name: 'local',
      kind: 'ollama',
      baseUrl: 'http://127.0.0.1:11434',
      apiKey: '',
      headers: {},
      requestDefaults: {},
      maxConnections: 64,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
      ...RESILIENCE,
    });
    expect(config.providers[0]).not.toHaveProperty('keepAlive');
    expect(config.models[0]).not.toHaveProperty('contextWindow');
    expect(config.source).toBe('min.yaml');
  });

  it('gives each kind its own base_url and first-byte defaults', () => {
    const text = `
providers:
  - { name: o, kind: openai, api_key: k }
  - { name: l, kind: ollama }
  - { name: v, kind: openai-compatible, base_url: "http://v:8000/v1" }
  - { name: m, kind: mock }
models: [{ name: x, route: [o/x, l/x, v/x, m/x] }]
`;
    const config = parseConfigText(text, 't.yaml', {});
    expect(config.providers.map((p) => [p.kind, p.baseUrl, p.timeouts.firstByteMs])).toEqual([
      ['openai', 'https://api.openai.com/v1', 60_000],
      ['ollama', 'http://127.0.0.1:11434', 120_000],
      ['openai-compatible', 'http://v:8000/v1', 120_000],
      ['mock', '', 120_000],
    ]);
  });

  it('treats an empty base_url as the kind default (for ${VAR:-} overrides)', () => {
    const text = 'providers: [{ name: o, kind: openai, api_key: k, base_url: "${OPENAI_BASE_URL:-}" }]\nmodels: [{ name: x, route: [o/x] }]\n';
    expect(parseConfigText(text, 't.yaml', {}).providers[0]?.baseUrl).toBe('https://api.openai.com/v1');
    expect(parseConfigText(text, 't.yaml', { OPENAI_BASE_URL: 'https://proxy.example/v1/' }).providers[0]?.baseUrl).toBe('https://proxy.example/v1');
  });

  it('accepts numbers that arrive as strings through interpolation', () => {
    const text = `
server:
  port: \${PORT}
  body_limit: \${LIMIT}
providers: [{ name: l, kind: ollama, max_connections: "\${CONNS:-4}" }]
models:
  - name: x
    route: [l/x]
    context_window: \${CTX:-8192}
`;
    const config = parseConfigText(text, 't.yaml', { PORT: '9999', LIMIT: '2048' });
    expect(config.server.port).toBe(9999);
    expect(config.server.bodyLimitBytes).toBe(2048);
    expect(config.providers[0]?.maxConnections).toBe(4);
    expect(config.models[0]?.contextWindow).toBe(8192);
  });

  it('splits route strings at the first slash and keeps wildcards in upstream models', () => {
    const text = `
providers: [{ name: vllm, kind: openai-compatible, base_url: "http://v/v1" }]
models:
  - { name: a, route: [vllm/org/model/v2] }
  - { name: "hf/*", route: ["vllm/hf/*"] }
`;
    const config = parseConfigText(text, 't.yaml', {});
    expect(config.models[0]?.route[0]).toEqual({ provider: 'vllm', model: 'org/model/v2', weight: 1, priority: 1 });
    expect(config.models[1]?.route[0]).toEqual({ provider: 'vllm', model: 'hf/*', weight: 1, priority: 1 });
  });

  it('normalises an ollama keep_alive given in seconds', () => {
    const text = 'providers: [{ name: l, kind: ollama, keep_alive: -1 }]\nmodels: [{ name: x, route: [l/x] }]\n';
    const provider = parseConfigText(text, 't.yaml', {}).providers[0];
    expect(provider?.kind === 'ollama' ? provider.keepAlive : undefined).toBe('-1s');
  });

  it('accepts YAML anchors and aliases', () => {
    const text = `
providers:
  - &base { name: a, kind: ollama }
  - { name: b, kind: ollama, base_url: "http://other:11434" }
models:
  - { name: x, route: &r [a/x, b/x] }
  - { name: y, route: *r }
`;
    const config = parseConfigText(text, 't.yaml', {});
    expect(config.models[1]?.route.map((d) => d.provider)).toEqual(['a', 'b']);
  });

  it('returns a deeply frozen object', () => {
    const config = parseConfigText(FULL, 'full.yaml', { OPENAI_API_KEY: 'sk-test' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.providers[1]?.requestDefaults)).toBe(true);
    expect(Object.isFrozen(config.models[0]?.route[0])).toBe(true);
  });
});

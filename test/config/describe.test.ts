import { describe, expect, it } from 'vitest';
import { defaultConfig, describeRoutes, parseConfigText } from '../../src/config/index.js';

describe('describeRoutes', () => {
  it('prints each model and alias with its ordered deployments, and the providers', () => {
    const text = `
providers:
  - { name: local, kind: ollama }
  - { name: vllm, kind: openai-compatible, base_url: "http://gpu-box:8000/v1", api_key: "\${VLLM_KEY}" }
models:
  - name: gpt-oss:20b
    aliases: [oss]
    context_window: 131072
    route: [local/gpt-oss:20b, { provider: vllm, model: openai/gpt-oss-20b, weight: 2 }]
  - name: "ollama/*"
    route: ["local/*"]
`;
    const output = describeRoutes(parseConfigText(text, 'routes.yaml', { VLLM_KEY: 'secret-vllm-key' }));
    expect(output).toContain('Configuration: routes.yaml');
    expect(output).toContain('Server: http://127.0.0.1:8787 (body limit 10 MiB, shutdown grace 30s, log level info)');
    const lines = output.split('\n');
    const row = (first: string): string | undefined => lines.find((l) => l.trimStart().startsWith(`${first} `));
    expect(row('gpt-oss:20b')).toMatch(/gpt-oss:20b\s+gpt-oss:20b\s+131072\s+local\/gpt-oss:20b -> vllm\/openai\/gpt-oss-20b \(weight 2\)$/);
    expect(row('oss')).toMatch(/oss\s+\(alias of gpt-oss:20b\)\s+131072\s+local\/gpt-oss:20b -> /);
    expect(row('ollama/*')).toMatch(/ollama\/\*\s+ollama\/\*\s+-\s+local\/\*$/);
    expect(row('local')).toMatch(/local\s+ollama\s+http:\/\/127\.0\.0\.1:11434\s+unset\s+timeouts: connect 10s, first byte 2m, idle 1m/);
    expect(row('vllm')).toMatch(/vllm\s+openai-compatible\s+http:\/\/gpu-box:8000\/v1\s+set\s+/);
    expect(output).not.toContain('secret-vllm-key');
  });

  it('never shows API keys, header values or URL credentials', () => {
    const text = `
providers:
  - name: inhouse
    kind: openai-compatible
    base_url: "https://user:\${URL_PASSWORD}@llm.internal/v1"
    api_key: \${KEY}
    headers: { X-Auth-Token: "\${TOKEN}" }
models: [{ name: m, route: [inhouse/m] }]
`;
    const output = describeRoutes(parseConfigText(text, 'secrets.yaml', { KEY: 'sk-live-123', TOKEN: 'tok-456', URL_PASSWORD: 'pw-789' }));
    expect(output).toContain('https://***@llm.internal/v1');
    expect(output).toContain('headers: X-Auth-Token');
    for (const secret of ['sk-live-123', 'tok-456', 'pw-789', 'user:']) expect(output).not.toContain(secret);
  });

  it('describes the demo provider of the embedded default', () => {
    const output = describeRoutes(defaultConfig({}, { demo: true }));
    expect(output).toContain('Configuration: embedded default');
    expect(output).toMatch(/demo\s+\(alias of tollgate-demo\)\s+-\s+demo\/tollgate-demo/);
    expect(output).toMatch(/demo\s+mock\s+\(built-in simulator\)\s+unset/);
  });
});

/**
 * The real Codex CLI against a budget that is used up, at the pinned and the
 * newest version: one request, and Codex shows the budget's message.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';
import { CODEX_LATEST, CODEX_VERSION, codexExec, ensureCodex } from './codex-cli.js';

let upstream: OpenAIUpstream;
let gateway: Gateway;
let responsesRequests = 0;

beforeAll(async () => {
  await ensureCodex(CODEX_VERSION);
  await ensureCodex(CODEX_LATEST);
  upstream = await startOpenAIUpstream();
  const base = config([provider({ name: 'agent', kind: 'openai-compatible', baseUrl: upstream.url })], [model('agent-model', ['agent/agent-model'])]);
  gateway = await startTestGateway({
    ...base,
    pricing: { useDefaults: false, models: [{ provider: 'agent', model: 'agent-model', input: 2, output: 8 }] },
    // Codex's prompt alone (its instructions and tools: ~10k tokens at $2/M) costs more than this.
    tenants: [{ name: 'team', models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [{ period: 'month', limitUsd: 0.01, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } }] }],
  });
  gateway.server.prependListener('request', (req) => {
    if (req.url?.endsWith('/responses')) responsesRequests++;
  });
}, 600_000);

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

describe.each([CODEX_VERSION, CODEX_LATEST])('Codex %s over budget', (version) => {
  it(
    'sends one request and shows the budget and what to do',
    async () => {
      const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
      responsesRequests = 0;
      const cwd = mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
      const result = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'say hi', cwd, version, apiKey: key, timeoutMs: 90_000 });
      expect(result.code).not.toBe(0);
      expect(responsesRequests).toBe(1);
      expect(upstream.requests).toHaveLength(0);
      expect(result.stdout + result.stderr).toContain("hit your usage limit. The monthly budget of tenant 'team' ($0.0100) is used up (ask your gateway administrator to raise it), or try again at");
    },
    120_000,
  );
});

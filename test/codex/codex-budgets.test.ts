/**
 * The real Codex CLI against budgets and guardrails, at the pinned and the
 * newest version: a budget used up is one request with the budget's message;
 * an answer cut off at the per-request ceiling is a partial answer shown
 * without a retry; a budget that runs out mid-answer is "Quota exceeded"
 * without a retry.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import type { ServerResponse } from 'node:http';
import type { BudgetConfig, TenantConfig } from '../../src/config/types.js';
import { startOpenAIUpstream, type OpenAIUpstream, type RecordedRequest } from '../simulators/openai-upstream.js';
import { CODEX_LATEST, CODEX_VERSION, codexExec, ensureCodex } from './codex-cli.js';

let upstream: OpenAIUpstream;
let gateway: Gateway;
let responsesRequests = 0;

/** The words of the long answer the upstream streams, ignoring any output ceiling. */
const ANSWER_WORDS = Array.from({ length: 400 }, (_, i) => `word${i}`);

function chatChunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'agent-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A Chat upstream streaming a long answer, a word every 5 ms, whatever ceiling it is sent. */
function longAnswer(_req: RecordedRequest, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chatChunk({ role: 'assistant', content: '' }));
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (i < ANSWER_WORDS.length) {
      res.write(chatChunk({ content: `${i === 0 ? '' : ' '}${ANSWER_WORDS[i++]}` }));
      return;
    }
    clearInterval(timer);
    res.write(chatChunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  }, 5);
}

const budget = (limitUsd: number): BudgetConfig => ({ period: 'month', limitUsd, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } });
const tenant = (name: string, fields: Partial<TenantConfig>): TenantConfig => ({ name, models: undefined, rpm: undefined, tpm: undefined, metadata: {}, ...fields });

beforeAll(async () => {
  await ensureCodex(CODEX_VERSION);
  await ensureCodex(CODEX_LATEST);
  upstream = await startOpenAIUpstream(longAnswer);
  const base = config(
    [provider({ name: 'agent', kind: 'openai-compatible', baseUrl: upstream.url })],
    [model('agent-model', ['agent/agent-model']), model('dear-model', ['agent/dear-model'])],
  );
  gateway = await startTestGateway({
    ...base,
    pricing: {
      useDefaults: false,
      models: [
        { provider: 'agent', model: 'agent-model', input: 2, output: 8 },
        // An output token costs $0.01: a budget a few cents above the prompt's cost runs out a few words into the answer.
        { provider: 'agent', model: 'dear-model', input: 2, output: 10_000 },
      ],
    },
    tenants: [
      // Codex's prompt alone (its instructions and tools: ~10k tokens at $2/M) costs more than this.
      tenant('team', { budgets: [budget(0.01)] }),
      tenant('cut', { guardrails: { maxOutputTokens: 12 } }),
      // One per version: each run spends its budget.
      ...[CODEX_VERSION, CODEX_LATEST].map((version) => tenant(`runout-${version}`, { budgets: [budget(0.12)] })),
    ],
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
      const before = upstream.requests.length;
      const cwd = mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
      const result = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'say hi', cwd, version, apiKey: key, timeoutMs: 90_000 });
      expect(result.code).not.toBe(0);
      expect(responsesRequests).toBe(1);
      expect(upstream.requests.length).toBe(before);
      expect(result.stdout + result.stderr).toContain("hit your usage limit. The monthly budget of tenant 'team' ($0.0100) is used up (ask your gateway administrator to raise it), or try again at");
    },
    120_000,
  );

  it(
    'an answer cut off at max_output_tokens: the partial answer is shown, nothing is retried',
    async () => {
      const { key } = await gateway.tenancy.createKey({ tenant: 'cut' });
      responsesRequests = 0;
      const before = upstream.requests.length;
      const cwd = mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
      const result = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'say hi', cwd, version, apiKey: key, timeoutMs: 90_000 });
      const output = result.stdout + result.stderr;
      expect(responsesRequests).toBe(1);
      expect(upstream.requests.length - before).toBe(1);
      // The first words reached the user; the rest of the 400 never did.
      expect(output).toContain('word0 word1 word2');
      expect(output).not.toContain('word30');
    },
    120_000,
  );

  it(
    'a budget that runs out mid-answer: "Quota exceeded", nothing is retried',
    async () => {
      const { key } = await gateway.tenancy.createKey({ tenant: `runout-${version}` });
      responsesRequests = 0;
      const before = upstream.requests.length;
      const cwd = mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
      const result = await codexExec({ baseUrl: gateway.url, model: 'dear-model', prompt: 'say hi', cwd, version, apiKey: key, timeoutMs: 90_000 });
      const output = result.stdout + result.stderr;
      expect(result.code).not.toBe(0);
      expect(responsesRequests).toBe(1);
      expect(upstream.requests.length - before).toBe(1);
      expect(output).toContain('Quota exceeded');
      const status = gateway.budgets.book.statuses().find((s) => s.ref.owner === `runout-${version}`)!;
      expect(status.reservedUsd).toBeCloseTo(0, 9);
      expect(status.settledUsd).toBeLessThanOrEqual(0.12 + 0.03);
    },
    120_000,
  );
});

/**
 * The real Codex CLI through a keyed Tollgate, at the pinned and the newest
 * version: its `env_key` carries a virtual key; a revoked key is one request
 * and a message Codex shows; a rate-limit refusal is shown, not looped.
 */
import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';
import { CODEX_LATEST, CODEX_VERSION, codexExec, ensureCodex } from './codex-cli.js';

const ANSWER = 'Hello from the keyed gateway.';
const TEST_TIMEOUT_MS = 120_000;

function chatFrame(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-k', object: 'chat.completion.chunk', created: 1, model: 'agent', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A vLLM-style Chat stream answering every request with ANSWER. */
function answer(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chatFrame({ role: 'assistant', content: '' }));
  for (const word of ANSWER.split(/(?<= )/)) res.write(chatFrame({ content: word }));
  res.write(chatFrame({}, 'stop'));
  res.write(`data: ${JSON.stringify({ id: 'chatcmpl-k', object: 'chat.completion.chunk', created: 1, model: 'agent', choices: [], usage: { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

let upstream: OpenAIUpstream;
let gateway: Gateway;
/** Requests that reached the gateway's Responses endpoint. */
let responsesRequests = 0;

beforeAll(async () => {
  await ensureCodex(CODEX_VERSION);
  await ensureCodex(CODEX_LATEST);
  upstream = await startOpenAIUpstream((_req, res) => answer(res));
  const base = config([provider({ name: 'agent', kind: 'openai-compatible', baseUrl: upstream.url })], [model('agent-model', ['agent/agent-model'])]);
  gateway = await startTestGateway({
    ...base,
    tenants: [
      { name: 'team-a', models: ['agent-*'], rpm: undefined, tpm: undefined, metadata: {} },
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

function workdir(): string {
  return mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
}

async function run(version: string, apiKey: string) {
  responsesRequests = 0;
  const result = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'say hi', cwd: workdir(), version, apiKey, timeoutMs: 90_000 });
  return { ...result, requests: responsesRequests, shown: result.stdout + result.stderr };
}

describe.each([CODEX_VERSION, CODEX_LATEST])('Codex %s with a virtual key', (version) => {
  it(
    'works with env_key carrying the key; the ledger row names its tenant and key',
    async () => {
      const { key, record } = await gateway.tenancy.createKey({ tenant: 'team-a', name: `codex-${version}` });
      const result = await run(version, key);
      expect(result.code, result.shown).toBe(0);
      expect(result.stdout).toContain(ANSWER);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const rows = (await gateway.ledger.recent(50)).filter((row) => row.keyId === record.id);
      expect(rows.map((row) => [row.tenant, row.status])).toEqual([['team-a', 'ok']]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a revoked key: one request, and Codex shows why',
    async () => {
      const { key, record } = await gateway.tenancy.createKey({ tenant: 'team-a' });
      await gateway.tenancy.revokeKey(record.id);
      const result = await run(version, key);
      expect(result.code).not.toBe(0);
      expect(result.requests).toBe(1);
      expect(result.shown).toContain('The API key was revoked. Ask your gateway administrator for a new one.');
      expect(result.shown).not.toContain(key);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a rate-limit refusal: shown with what to do, not looped',
    async () => {
      const tenant = `small-${version}`;
      await gateway.tenancy.createTenant({ name: tenant, rpm: 1 });
      const { key } = await gateway.tenancy.createKey({ tenant });
      expect((await run(version, key)).code).toBe(0);
      const result = await run(version, key);
      expect(result.code).not.toBe(0);
      expect(result.requests).toBe(1);
      expect(result.shown).toContain(`hit your usage limit. Rate limit reached for tenant '${tenant}': 1 requests per minute (ask your gateway administrator for a higher limit), or try again at`);
    },
    TEST_TIMEOUT_MS,
  );
});

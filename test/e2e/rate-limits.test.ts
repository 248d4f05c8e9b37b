/**
 * Requests and tokens per minute per key and per tenant, over the real HTTP
 * interface: a refusal is a 429 before anything reaches the upstream, with
 * OpenAI's rate-limit headers, a Retry-After, and the fields Codex shows
 * (`type: usage_limit_reached`, `resets_at`); tokens are counted from what
 * each call really used once it is over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

let upstream: OpenAIUpstream;
let gateway: Gateway;

const REPLY = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 80, total_tokens: 90 } };

beforeAll(async () => {
  upstream = await startOpenAIUpstream((_req, res) => replyJson(res, 200, REPLY));
  const base = config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('m', ['up/m'])]);
  const cfg: GatewayConfig = {
    ...base,
    tenants: [
      { name: 'slow', models: undefined, rpm: 4, tpm: undefined, metadata: {} },
      { name: 'thrifty', models: undefined, rpm: undefined, tpm: 100, metadata: {} },
      { name: 'free', models: undefined, rpm: undefined, tpm: undefined, metadata: {} },
    ],
  };
  gateway = await startTestGateway(cfg);
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

async function chat(key: string, content = 'hi'): Promise<{ status: number; headers: Headers; body: { error?: { message: string; type: string; code: string; resets_at: number } } }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

describe('rate limits', () => {
  it("a key's requests per minute: the next one is a 429 that Codex and the SDKs understand, and reaches no upstream", async () => {
    const { key, record } = await gateway.tenancy.createKey({ tenant: 'free', rpm: 3 });
    const remaining: Array<string | null> = [];
    const used: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const served = await chat(key);
      expect(served.status).toBe(200);
      remaining.push(served.headers.get('x-ratelimit-remaining-requests'));
      used.push(served.headers.get('x-codex-primary-used-percent'));
      expect(served.headers.get('x-codex-primary-window-minutes')).toBe('1');
      expect(Number(served.headers.get('x-codex-primary-reset-at'))).toBeGreaterThan(Date.now() / 1000);
    }
    // Every answer tells the client where it stands: OpenAI's headers, and Codex's primary limit.
    expect(remaining).toEqual(['2', '1', '0']);
    expect(used).toEqual(['33.3', '66.7', '100.0']);
    const before = upstream.requests.length;
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'usage_limit_reached' });
    expect(refused.body.error?.message).toContain(`key ${record.id}: 3 requests per minute`);
    const now = Date.now() / 1000;
    expect(refused.body.error?.resets_at).toBeGreaterThan(now);
    expect(refused.body.error?.resets_at).toBeLessThanOrEqual(now + 61);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
    expect(refused.headers.get('x-codex-promo-message')).toBe(`Rate limit reached for key ${record.id}: 3 requests per minute (ask your gateway administrator for a higher limit)`);
    expect(upstream.requests.length).toBe(before);
  });

  it("a tenant's limit is shared by its keys", async () => {
    const a = await gateway.tenancy.createKey({ tenant: 'slow' });
    const b = await gateway.tenancy.createKey({ tenant: 'slow' });
    expect((await chat(a.key)).status).toBe(200);
    expect((await chat(b.key)).status).toBe(200);
    expect((await chat(a.key)).status).toBe(200);
    expect((await chat(b.key)).status).toBe(200);
    const refused = await chat(a.key);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toContain("tenant 'slow': 4 requests per minute");
    // A key of another tenant is not affected.
    const other = await gateway.tenancy.createKey({ tenant: 'free' });
    expect((await chat(other.key)).status).toBe(200);
  });

  it('tokens per minute count what each call really used (prompt and output), once it is over', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'thrifty' });
    // The upstream reports 90 tokens per call; the estimate of this small request is ~15 (57 characters).
    expect((await chat(key)).status).toBe(200);
    // The call is settled just after its response ended.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toMatch(/100 tokens per minute \(used 90, this request about \d+\)/);
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe('10');
  });

  it('a request larger than the tokens per minute is told so (it could never pass)', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'free', tpm: 100 });
    const refused = await chat(key, 'x'.repeat(2_000));
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toMatch(/larger than the 100 tokens per minute allowed to key \w+; send a smaller request/);
  });
});

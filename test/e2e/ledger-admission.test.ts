/**
 * `store.when_full: refuse` with calls in flight: every admitted call holds a
 * place for its row, so the rows of calls admitted before the buffer filled
 * are never dropped. The store fails for real: its file is replaced under
 * the running gateway (renamed away, another file put at its path), which
 * the ledger treats as a write failure until the original is moved back.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An upstream that holds every chat completion until `release()`. */
async function heldUpstream(): Promise<{ upstream: OpenAIUpstream; release: () => void; held: () => number }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  const upstream = await startOpenAIUpstream(async (req, res) => {
    if (req.method === 'GET') return replyJson(res, 200, { object: 'list', data: [] });
    held++;
    await gate;
    replyJson(res, 200, {
      id: 'chatcmpl-held',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    });
  });
  cleanups.push(() => upstream.close());
  return { upstream, release, held: () => held };
}

function chat(gateway: Gateway): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('store.when_full: refuse, with calls in flight', () => {
  it('admits only as many calls as the buffer has room for, and loses none of their rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-admission-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'ledger.sqlite');
    const { upstream, release, held } = await heldUpstream();
    const base = config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/m'])]);
    const gateway = await startTestGateway({ ...base, store: { kind: 'sqlite', path, maxBufferedRows: 5, whenFull: 'refuse' } });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await gateway.close().catch(() => undefined);
    });

    // The file is replaced: rows cannot be written to the file the ledger opened.
    renameSync(path, `${path}.moved`);
    writeFileSync(path, '');
    const notReady = await fetch(`${gateway.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(await notReady.json())).toContain('was replaced by another file while open');

    // Eight calls at once while the store fails: five fit the buffer, three are refused at once.
    const pending = Array.from({ length: 8 }, () => chat(gateway));
    await vi.waitFor(() => expect(held()).toBe(5), { timeout: 5_000, interval: 10 });
    release();
    const responses = await Promise.all(pending);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 503, 503, 503]);
    const refusal = (await responses.find((r) => r.status === 503)?.json()) as { error: { code: string } };
    expect(refusal.error.code).toBe('usage_ledger_unavailable');
    expect(gateway.ledger.stats()).toMatchObject({ buffered: 5, dropped: 0 });

    // The original comes back: the kept rows are written, readiness returns.
    renameSync(`${path}.moved`, path);
    await vi.waitFor(async () => expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200), { timeout: 20_000, interval: 100 });
    expect((await chat(gateway)).status).toBe(200);
    await gateway.close();
    closed = true;
    const reader = new Database(path);
    cleanups.push(() => {
      reader.close();
    });
    expect(reader.prepare<[], number>('SELECT COUNT(*) FROM usage').pluck().get()).toBe(6);
  }, 40_000);
});

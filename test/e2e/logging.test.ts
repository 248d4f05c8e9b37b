import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/index.js';
import type { RequestPolicy } from '../../src/pipeline/contracts.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { replyJson, startOpenAIUpstream } from '../simulators/openai-upstream.js';

describe('structured logs', () => {
  it('are JSON lines with the request id, and never contain keys or upstream error bodies', async () => {
    const { log, lines } = capturedLog();
    const upstream = await startOpenAIUpstream((req, res) => {
      if ((req.body as { model: string }).model === 'denied') return replyJson(res, 401, { error: { message: 'bad key sk-upstream-secret-123' } });
      return replyJson(res, 500, { error: { message: 'boom with internals' } });
    });
    const gateway = await startTestGateway(
      config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-upstream-secret-123' })], [model('m', ['up/denied']), model('n', ['up/other'])]),
      { log },
    );
    try {
      for (const name of ['m', 'n']) {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer client-secret-456', 'x-request-id': `log-test-${name}` },
          body: JSON.stringify({ model: name, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(response.status).toBe(502);
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await gateway.close();
      await upstream.close();
    }
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = entries.filter((e) => e['msg'] === 'request');
    expect(access.map((e) => [e['req_id'], e['status'], e['path']])).toEqual([
      ['log-test-m', 502, '/v1/chat/completions'],
      ['log-test-n', 502, '/v1/chat/completions'],
    ]);
    const all = lines.join('\n');
    expect(all).not.toContain('sk-upstream-secret');
    expect(all).not.toContain('client-secret');
  });
});

describe('log levels of refusals', () => {
  it('a policy refusing with a 5xx GatewayError is one warn line without a stack; an unforeseen throw is an error with its stack', async () => {
    const { log, lines } = capturedLog();
    const upstream = await startOpenAIUpstream((_req, res) => replyJson(res, 200, {}));
    const refusing: RequestPolicy = {
      name: 'refusing',
      admit: (call) => {
        if (call.requestedModel === 'm') throw new GatewayError(503, 'server_error', 'busy_for_test', 'Refused for the test; retry later.');
        throw new TypeError('an unforeseen bug');
      },
    };
    const gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('m', ['up/m']), model('n', ['up/n'])]), {
      log,
      policies: [refusing],
    });
    try {
      for (const [name, status] of [['m', 503], ['n', 500]] as const) {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: name, messages: [{ role: 'user', content: 'hi' }] }) });
        expect(response.status).toBe(status);
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await gateway.close();
      await upstream.close();
    }
    const entries = lines.map((line) => JSON.parse(line) as { level: string; msg: string; err?: { stack?: string }; code?: string });
    const refusal = entries.filter((e) => e.msg.startsWith('Refused for the test'));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatchObject({ level: 'warn', code: 'busy_for_test' });
    expect(refusal[0]?.err).toBeUndefined();
    const bug = entries.filter((e) => e.msg === 'call failed');
    expect(bug).toHaveLength(1);
    expect(bug[0]?.level).toBe('error');
    expect(bug[0]?.err?.stack).toContain('an unforeseen bug');
  });
});

import { describe, expect, it } from 'vitest';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';

const event = (type: string, extra: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;

describe('the runtime stream check (TOLLGATE_VALIDATE_STREAMS)', () => {
  it('logs the protocol violations of a Responses stream relayed to a client', async () => {
    const { log, lines } = capturedLog();
    // A pass-through upstream whose stream breaks the protocol: a delta for an item never added, and no terminal event.
    const upstream = await startOpenAIUpstream((_req, res) =>
      replySse(res, [
        event('response.created', { sequence_number: 0, response: { id: 'resp_x', status: 'in_progress', output: [] } }),
        event('response.output_text.delta', { sequence_number: 1, item_id: 'msg_ghost', output_index: 0, content_index: 0, delta: 'boo' }),
      ]),
    );
    const gateway = await startTestGateway(config([provider({ name: 'oa', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('m', ['oa/m'])]), {
      log,
      validateStreams: true,
    });
    let text = '';
    try {
      const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', headers: { 'x-request-id': 'check-1' }, body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
      text = await response.text();
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await gateway.close();
      await upstream.close();
    }
    const warning = lines.map((l) => JSON.parse(l) as { msg: string; req_id?: string; violations?: string[] }).find((e) => e.msg === 'the stream sent to the client broke its protocol');
    expect(warning?.req_id).toBe('check-1');
    expect(warning?.violations?.join('\n')).toMatch(/msg_ghost|output_index/);
    // The upstream stopped without a terminal event; the client is told rather than left with a truncated stream.
    expect(text).toContain('"response.failed"');
    expect(text).toContain('[upstream_truncated]');
    // The failure continues the relayed response: it does not start a second one.
    expect(text.match(/"type":"response.created"/g)).toHaveLength(1);
    expect(warning?.violations?.join('\n')).not.toMatch(/second response.created|does not increase/);
  });
});

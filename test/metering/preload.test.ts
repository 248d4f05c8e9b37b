/**
 * The tokenizer's rank tables are loaded at start-up, before the listener
 * opens: loading one blocks the event loop for 100–300 ms, which a running
 * gateway's streams must never feel at its first estimate. (Each test file
 * runs in a fresh module graph, so nothing else loaded them here.)
 */
import { describe, expect, it } from 'vitest';
import { loadedEncodings } from '../../src/metering/encodings.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

describe('tokenizer preload', () => {
  it('a started gateway holds the encodings its routes count with', async () => {
    expect(loadedEncodings()).toEqual([]);
    const upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
    const gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('a', ['up/gpt-4o']), model('b', ['up/gpt-4'])]));
    try {
      expect(loadedEncodings().sort()).toEqual(['cl100k_base', 'o200k_base']);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

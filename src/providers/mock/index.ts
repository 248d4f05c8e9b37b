import type { MockProviderConfig } from '../../config/types.js';
import { getJson } from '../../upstream/get-json.js';
import { bearer, createHttpProvider } from '../http/http-provider.js';
import { listOpenAIModels } from '../http/list-openai-models.js';
import type { ProviderDefinition } from '../types.js';
import { startMockUpstream } from './simulator.js';

/**
 * The built-in simulated model. It is a real HTTP upstream on loopback that
 * speaks Chat Completions and the Responses API, so requests to it take
 * exactly the path they take to any other OpenAI-compatible server. With a
 * `base_url`, the gateway uses a simulator that is already running elsewhere
 * (a benchmark's, say) instead of starting its own.
 */
export const mockProvider: ProviderDefinition<MockProviderConfig> = {
  kind: 'mock',
  async create(config) {
    const simulator =
      config.baseUrl === ''
        ? await startMockUpstream({ latencyMs: config.latencyMs, tokensPerSecond: config.tokensPerSecond, scripts: config.scripts })
        : undefined;
    const provider = createHttpProvider(
      { ...config, baseUrl: simulator?.url ?? config.baseUrl },
      {
        paths: [
          ['openai-chat', '/chat/completions'],
          ['openai-responses', '/responses'],
        ],
        authHeaders: (c) => bearer(c.apiKey),
        listModels: (p, signal) => listOpenAIModels(getJson, p, signal),
      },
    );
    const closePool = provider.close.bind(provider);
    return {
      ...provider,
      async close() {
        await closePool();
        await simulator?.close();
      },
    };
  },
};

import type { OllamaProviderConfig } from '../../config/types.js';
import { getJson } from '../../upstream/get-json.js';
import { bearer, createHttpProvider } from '../http/http-provider.js';
import type { ProviderDefinition } from '../types.js';

/**
 * Ollama's native API (`/api/chat`, NDJSON): unlike its OpenAI-compatible
 * endpoint it carries `thinking`, real token counts and `options` such as
 * `num_ctx`, so the gateway translates to it.
 */
export const ollamaProvider: ProviderDefinition<OllamaProviderConfig> = {
  kind: 'ollama',
  create(config) {
    const keepAlive = config.keepAlive === undefined ? {} : { keep_alive: config.keepAlive };
    return Promise.resolve(
      createHttpProvider(
        { ...config, requestDefaults: { ...keepAlive, ...config.requestDefaults } },
        {
          paths: [['ollama-chat', '/api/chat']],
          authHeaders: (c) => bearer(c.apiKey),
          listModels: async (provider, signal) => {
            const body = await getJson(provider, provider.pathFor('ollama-chat').replace(/\/api\/chat$/, '/api/tags'), signal);
            const models = (body as { models?: unknown }).models;
            if (!Array.isArray(models)) return [];
            return models.flatMap((entry: unknown) => {
              const name = (entry as { name?: unknown }).name;
              return typeof name === 'string' ? [name] : [];
            });
          },
        },
      ),
    );
  },
};

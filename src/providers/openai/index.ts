import type { OpenAIProviderConfig } from '../../config/types.js';
import { getJson } from '../../upstream/get-json.js';
import { bearer, createHttpProvider } from '../http/http-provider.js';
import { listOpenAIModels } from '../http/list-openai-models.js';
import type { ProviderDefinition } from '../types.js';

/** OpenAI itself: speaks both the Responses API and Chat Completions, so both pass through raw. */
export const openaiProvider: ProviderDefinition<OpenAIProviderConfig> = {
  kind: 'openai',
  create(config) {
    return Promise.resolve(
      createHttpProvider(config, {
        paths: [
          ['openai-responses', '/responses'],
          ['openai-chat', '/chat/completions'],
        ],
        authHeaders: (c) => ({
          ...bearer(c.apiKey),
          ...(config.organization ? { 'openai-organization': config.organization } : {}),
          ...(config.project ? { 'openai-project': config.project } : {}),
        }),
        listModels: (provider, signal) => listOpenAIModels(getJson, provider, signal),
        // OpenAI's reasoning models reject max_tokens; every OpenAI chat model reads max_completion_tokens.
        requestOptions: { maxTokensField: 'max_completion_tokens' },
      }),
    );
  },
};

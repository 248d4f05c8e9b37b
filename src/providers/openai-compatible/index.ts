import type { OpenAICompatibleProviderConfig } from '../../config/types.js';
import { getJson } from '../../upstream/get-json.js';
import { bearer, createHttpProvider } from '../http/http-provider.js';
import { listOpenAIModels } from '../http/list-openai-models.js';
import type { ProviderDefinition } from '../types.js';

/** vLLM, LM Studio, llama.cpp server, in-house servers: Chat Completions only. */
export const openaiCompatibleProvider: ProviderDefinition<OpenAICompatibleProviderConfig> = {
  kind: 'openai-compatible',
  create(config) {
    return Promise.resolve(
      createHttpProvider(config, {
        paths: [['openai-chat', '/chat/completions']],
        authHeaders: (c) => bearer(c.apiKey),
        listModels: (provider, signal) => listOpenAIModels(getJson, provider, signal),
        requestOptions: {
          ...(config.maxTokensField === undefined ? {} : { maxTokensField: config.maxTokensField }),
          ...(config.sendReasoning === undefined ? {} : { includeReasoning: config.sendReasoning }),
        },
      }),
    );
  },
};

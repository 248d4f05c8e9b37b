import type { Provider } from '../types.js';

type GetJson = (provider: Provider, path: string, signal: AbortSignal) => Promise<unknown>;

/** `GET {base}/models` → `{data: [{id}]}`, as OpenAI, vLLM and most compatible servers answer. */
export async function listOpenAIModels(getJson: GetJson, provider: Provider, signal: AbortSignal): Promise<readonly string[]> {
  const chatPath = provider.pathFor(provider.formats.includes('openai-chat') ? 'openai-chat' : provider.formats[0]!);
  const basePath = chatPath.slice(0, chatPath.lastIndexOf('/chat/completions'));
  const body = await getJson(provider, `${basePath}/models`, signal);
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((entry: unknown) => {
    const id = (entry as { id?: unknown }).id;
    return typeof id === 'string' ? [id] : [];
  });
}

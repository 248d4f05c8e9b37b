import type { IRUsage } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';

function count(value: JsonValue | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A Chat Completions `usage` object as the IR counts it (missing counts are 0, a missing total is the sum). */
export function usageFromChat(raw: JsonObject): IRUsage {
  const promptTokens = count(raw['prompt_tokens']);
  const completionTokens = count(raw['completion_tokens']);
  const total = raw['total_tokens'];
  const usage: IRUsage = {
    promptTokens,
    completionTokens,
    totalTokens: typeof total === 'number' && Number.isFinite(total) ? total : promptTokens + completionTokens,
  };
  const prompt = raw['prompt_tokens_details'];
  if (isJsonObject(prompt) && typeof prompt['cached_tokens'] === 'number') usage.cachedPromptTokens = prompt['cached_tokens'];
  const completion = raw['completion_tokens_details'];
  if (isJsonObject(completion) && typeof completion['reasoning_tokens'] === 'number') usage.reasoningTokens = completion['reasoning_tokens'];
  return usage;
}

/** The IR usage as a Chat Completions `usage` object; the details objects appear only when their counts are known. */
export function usageToChat(usage: IRUsage): JsonObject {
  const out: JsonObject = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (usage.cachedPromptTokens !== undefined) out['prompt_tokens_details'] = { cached_tokens: usage.cachedPromptTokens };
  if (usage.reasoningTokens !== undefined) out['completion_tokens_details'] = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

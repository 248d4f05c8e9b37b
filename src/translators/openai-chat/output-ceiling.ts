import type { JsonObject } from '../../protocols/json.js';

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The output-token ceiling of a Chat request: `max_completion_tokens` wins over the older `max_tokens`, as OpenAI reads them. */
export function chatOutputCeiling(body: Readonly<JsonObject>): number | undefined {
  return positiveInteger(body['max_completion_tokens']) ?? positiveInteger(body['max_tokens']);
}

/**
 * A copy with the ceiling lowered to `ceiling`: written to the field the
 * client used (both when it sent both), `max_completion_tokens` when it sent
 * none (OpenAI's reasoning models accept only that one; vLLM reads both).
 */
export function withChatOutputCeiling(body: Readonly<JsonObject>, ceiling: number): JsonObject {
  const copy: JsonObject = { ...body };
  const hasNew = Object.hasOwn(body, 'max_completion_tokens');
  const hasOld = Object.hasOwn(body, 'max_tokens');
  if (hasOld) copy['max_tokens'] = ceiling;
  if (hasNew || !hasOld) copy['max_completion_tokens'] = ceiling;
  return copy;
}

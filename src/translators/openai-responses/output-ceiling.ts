import type { JsonObject } from '../../protocols/json.js';

/** The output-token ceiling of a Responses request (`max_output_tokens`). */
export function responsesOutputCeiling(body: Readonly<JsonObject>): number | undefined {
  const value = body['max_output_tokens'];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function withResponsesOutputCeiling(body: Readonly<JsonObject>, ceiling: number): JsonObject {
  return { ...body, max_output_tokens: ceiling };
}

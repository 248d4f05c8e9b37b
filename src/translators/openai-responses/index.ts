import { responsesFailureCode, responsesFailureMessage } from './error-codes.js';
import type { ClientCodec } from '../types.js';
import { ResponsesResponseAccumulator } from './accumulator.js';
import { ResponsesStreamEncoder } from './encoder.js';
import { ResponsesPassthroughWatcher } from './passthrough-watcher.js';
import { responsesRequestToIR } from './request.js';
import { hostedToolLabel } from './tools.js';
import { responsesUsage } from '../usage-readers.js';
import { responsesOutputCeiling, withResponsesOutputCeiling } from './output-ceiling.js';

export { ResponsesResponseAccumulator } from './accumulator.js';
export { ResponsesStreamEncoder } from './encoder.js';
export type { ResponsesEncoderDeps } from './encoder.js';
export type { NewId } from './ids.js';
export { ResponsesPassthroughWatcher } from './passthrough-watcher.js';
export type { ResponsesWatcherDeps } from './passthrough-watcher.js';
export { customToolInput, usageToResponses } from './output.js';
export { mintReasoningState, readReasoningState } from './reasoning-state.js';
export { responsesRequestToIR } from './request.js';
export { MAX_GRAMMAR_IN_SCHEMA, ToolCatalog, flatToolName } from './tools.js';
export { ResponsesStreamValidator, validateResponsesSse } from './validator.js';

/** Clients speaking the Responses API (`POST /v1/responses`), Codex CLI first among them. */
export { responsesFailureCode, responsesFailureMessage } from './error-codes.js';

export const responsesClientCodec: ClientCodec = {
  format: 'openai-responses',
  parseRequest: responsesRequestToIR,
  createStreamEncoder: (options) => new ResponsesStreamEncoder(options),
  createAccumulator: (options) => new ResponsesResponseAccumulator(options),
  createPassthroughWatcher: (options) => new ResponsesPassthroughWatcher(options),
  streamFailure: { code: responsesFailureCode, message: responsesFailureMessage },
  droppedToolLabel: hostedToolLabel,
  usage: responsesUsage,
  outputCeiling: responsesOutputCeiling,
  withOutputCeiling: withResponsesOutputCeiling,
};

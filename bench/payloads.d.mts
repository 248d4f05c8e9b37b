// Types of bench/payloads.mjs, for the tests that check the benchmark's upstream against the gateway's own decoders.

/** The whole answer of `n` events: what a client must assemble from the deltas. */
export function fullText(n: number): string;
/** Chat Completions SSE: role chunk, `n` content deltas, finish chunk, usage chunk, `[DONE]`; one Buffer per event. */
export function chatSse(n: number): Buffer[];
export function chatJson(n: number): Buffer[];
/** Responses API SSE with `n` `response.output_text.delta` events; one Buffer per event. */
export function responsesSse(n: number): Buffer[];
export function responsesJson(n: number): Buffer[];
/** Ollama NDJSON: `n` content lines and the final `done` line; one Buffer per line. */
export function ollamaNdjson(n: number): Buffer[];
export function ollamaJson(n: number): Buffer[];

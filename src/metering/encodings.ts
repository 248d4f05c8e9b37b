/**
 * The BPE encodings behind token counting, loaded on first use.
 *
 * Loading an encoding parses its rank table (o200k_base: ~2 MB of source,
 * about 160–350 ms and tens of MB of heap), so nothing is loaded at import
 * time; the gateway loads what its routes need once it listens
 * (preloadEncodings), so that no stream ever waits for a load.
 * `createRequire` keeps the first load synchronous, so counting stays a plain
 * function call. Each loaded encoder is kept in a module-level cache that is
 * written once per encoding and never changes afterwards (the encoder's own
 * merge cache is bounded by the library at 100k entries).
 */
import { createRequire } from 'node:module';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** The part of gpt-tokenizer's encoding API we use. */
interface BpeEncoding {
  countTokens(text: string, options: { disallowedSpecial: ReadonlySet<string> }): number;
}

/** Counts tokens of plain text. */
export interface TokenEncoder {
  readonly name: EncodingName;
  count(text: string): number;
}

const MODULES: Readonly<Record<EncodingName, string>> = {
  o200k_base: 'gpt-tokenizer/cjs/encoding/o200k_base',
  cl100k_base: 'gpt-tokenizer/cjs/encoding/cl100k_base',
};

/**
 * Text that looks like a special token (`<|endoftext|>`) is counted as
 * ordinary text, like tiktoken's `encode_ordinary`: a prompt may quote such
 * strings, and the library would otherwise throw.
 */
const ORDINARY_TEXT = { disallowedSpecial: new Set<string>() } as const;

const loaded = new Map<EncodingName, TokenEncoder>();
const requireCjs = createRequire(import.meta.url);

function isBpeEncoding(value: unknown): value is BpeEncoding {
  return typeof value === 'object' && value !== null && 'countTokens' in value && typeof value.countTokens === 'function';
}

/** The encoder for `name`, loading it on the first call. */
export function encoderFor(name: EncodingName): TokenEncoder {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  const mod: unknown = requireCjs(MODULES[name]);
  if (!isBpeEncoding(mod)) throw new Error(`gpt-tokenizer: ${MODULES[name]} does not export countTokens`);
  const encoder: TokenEncoder = { name, count: (text) => (text === '' ? 0 : mod.countTokens(text, ORDINARY_TEXT)) };
  loaded.set(name, encoder);
  return encoder;
}

/** The encodings loaded so far (start-up preloads what the routes need). */
export function loadedEncodings(): EncodingName[] {
  return [...loaded.keys()];
}

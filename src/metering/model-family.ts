/**
 * Which tokenizer counts a model's tokens.
 *
 * OpenAI models are counted exactly with their own encoding: o200k_base for
 * gpt-4o, gpt-4.1, gpt-4.5, gpt-5, the o-series, codex-mini and gpt-oss (whose
 * o200k_harmony only adds special tokens, so ordinary text counts the same),
 * cl100k_base for gpt-4 / gpt-3.5. Other families ship their own tokenizers,
 * which we do not bundle (most are SentencePiece or Hugging Face files of
 * several MB each); they are approximated as the o200k_base count times a
 * per-family factor. The factors come from vocabulary size and kind: byte-level
 * BPE vocabularies of 100k–150k entries (Llama 3, Qwen 2+, DeepSeek V2+, Mistral
 * Tekken) split English and code into a few per cent more tokens than
 * o200k_base's 200k; 32k SentencePiece vocabularies (Llama 2, Code Llama, the
 * first Mistral models, Phi-3) need roughly 15–25 % more; Gemma's 256k
 * vocabulary is on par. They are estimates to within ~10 %: upstream-reported
 * usage always wins, this is only the fallback when there is none.
 */
import type { EncodingName } from './encodings.js';

export interface TokenizerChoice {
  /** Short family name, for logs and tests. */
  readonly family: string;
  readonly encoding: EncodingName;
  /** Multiplier applied to the encoding's count (1 = exact). */
  readonly factor: number;
}

interface FamilyRule extends TokenizerChoice {
  readonly pattern: RegExp;
}

/** First match wins; patterns see the normalized name (see `normalizeModelName`). */
const RULES: readonly FamilyRule[] = [
  {
    family: 'openai-o200k',
    pattern: /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|gpt-realtime|gpt-audio|codex-|computer-use|o[134](?:$|[-:._]))/,
    encoding: 'o200k_base',
    factor: 1,
  },
  { family: 'openai-cl100k', pattern: /^(?:gpt-4|gpt-3\.5|gpt-35|text-embedding-(?:3|ada-002))/, encoding: 'cl100k_base', factor: 1 },
  // Llama 2 / Code Llama: 32k SentencePiece vocabulary.
  { family: 'llama2', pattern: /llama-?2|codellama/, encoding: 'o200k_base', factor: 1.15 },
  // Llama 3 and 4: a 128k+ tiktoken-style BPE built from cl100k_base.
  { family: 'llama', pattern: /llama/, encoding: 'o200k_base', factor: 1.05 },
  // Qwen 2+ and QwQ: 151k byte-level BPE.
  { family: 'qwen', pattern: /^(?:qwen|qwq)/, encoding: 'o200k_base', factor: 1.05 },
  // DeepSeek V2/V3/R1: 100k–128k byte-level BPE (R1 distills use Qwen or Llama tokenizers, as close).
  { family: 'deepseek', pattern: /^deepseek/, encoding: 'o200k_base', factor: 1.05 },
  // Mistral: Tekken (131k, tiktoken-based) on recent models, a 32k SentencePiece on older ones.
  { family: 'mistral', pattern: /^(?:mistral|mixtral|codestral|devstral|ministral|magistral|pixtral)/, encoding: 'o200k_base', factor: 1.1 },
  // Gemma: 256k SentencePiece.
  { family: 'gemma', pattern: /^gemma/, encoding: 'o200k_base', factor: 1 },
  // Phi-3 uses the 32k Llama 2 vocabulary, Phi-4 a 100k tiktoken one.
  { family: 'phi', pattern: /^phi/, encoding: 'o200k_base', factor: 1.1 },
  // Granite, StarCoder: 49k BPE trained on code.
  { family: 'code-49k', pattern: /^(?:granite|starcoder)/, encoding: 'o200k_base', factor: 1.1 },
];

/**
 * Unknown families are assumed to have a smaller vocabulary than o200k_base:
 * an over-estimate is the safer error for budgets.
 */
const UNKNOWN: TokenizerChoice = { family: 'unknown', encoding: 'o200k_base', factor: 1.1 };

/**
 * Lowercased, without a fine-tune prefix (`ft:gpt-4o-mini:org::id`) or an
 * organisation path (`meta-llama/Llama-3.1-8B`, `openai/gpt-oss-20b`).
 */
export function normalizeModelName(model: string): string {
  let name = model.trim().toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3);
  const slash = name.lastIndexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}

export function tokenizerFor(model: string): TokenizerChoice {
  const name = normalizeModelName(model);
  for (const rule of RULES) {
    if (rule.pattern.test(name)) return rule;
  }
  return UNKNOWN;
}

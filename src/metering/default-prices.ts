/**
 * Shipped prices for OpenAI's models, applied to providers of kind `openai`
 * when `pricing.use_defaults` is true (the default).
 *
 * Source: OpenAI's API pricing page (https://openai.com/api/pricing/ and
 * https://platform.openai.com/docs/pricing), Standard tier, USD per million
 * tokens, as the maintainers knew it on `PRICES_AS_OF`; they were transcribed,
 * not fetched, and are not updated automatically. Prices change and newer
 * models are missing: operators should check them against their invoice and
 * override or extend them under `pricing.models` (a configured entry always
 * wins over a default); models released after that date (gpt-5.1 and later)
 * are unpriced until configured. Batch, Flex and Priority tiers are not
 * modelled.
 *
 * A dated snapshot (`gpt-4.1-mini-2025-04-14`) uses its base model's price
 * unless it is listed itself (`gpt-4o-2024-05-13` kept its launch price).
 */

/** A shipped price, keyed by model only (it applies to providers of kind `openai`). */
export interface DefaultPrice {
  readonly model: string;
  readonly input: number;
  readonly cachedInput?: number;
  readonly output: number;
}

export const PRICES_AS_OF = '2025-10-01';

export const DEFAULT_OPENAI_PRICES: readonly DefaultPrice[] = [
  // GPT-5 family
  { model: 'gpt-5', input: 1.25, cachedInput: 0.125, output: 10 },
  { model: 'gpt-5-mini', input: 0.25, cachedInput: 0.025, output: 2 },
  { model: 'gpt-5-nano', input: 0.05, cachedInput: 0.005, output: 0.4 },
  { model: 'gpt-5-chat-latest', input: 1.25, cachedInput: 0.125, output: 10 },
  { model: 'gpt-5-codex', input: 1.25, cachedInput: 0.125, output: 10 },
  { model: 'gpt-5-pro', input: 15, output: 120 },
  // GPT-4.1 family
  { model: 'gpt-4.1', input: 2, cachedInput: 0.5, output: 8 },
  { model: 'gpt-4.1-mini', input: 0.4, cachedInput: 0.1, output: 1.6 },
  { model: 'gpt-4.1-nano', input: 0.1, cachedInput: 0.025, output: 0.4 },
  // GPT-4o family
  { model: 'gpt-4o', input: 2.5, cachedInput: 1.25, output: 10 },
  { model: 'gpt-4o-2024-05-13', input: 5, output: 15 },
  { model: 'chatgpt-4o-latest', input: 5, output: 15 },
  { model: 'gpt-4o-mini', input: 0.15, cachedInput: 0.075, output: 0.6 },
  // o-series reasoning models
  { model: 'o3', input: 2, cachedInput: 0.5, output: 8 },
  { model: 'o3-pro', input: 20, output: 80 },
  { model: 'o4-mini', input: 1.1, cachedInput: 0.275, output: 4.4 },
  { model: 'o3-mini', input: 1.1, cachedInput: 0.55, output: 4.4 },
  { model: 'o1', input: 15, cachedInput: 7.5, output: 60 },
  { model: 'o1-pro', input: 150, output: 600 },
  { model: 'o1-mini', input: 1.1, cachedInput: 0.55, output: 4.4 },
  // Codex
  { model: 'codex-mini-latest', input: 1.5, cachedInput: 0.375, output: 6 },
  // Older models still served
  { model: 'gpt-4-turbo', input: 10, output: 30 },
  { model: 'gpt-4', input: 30, output: 60 },
  { model: 'gpt-3.5-turbo', input: 0.5, output: 1.5 },
];

/**
 * The `pricing` block of the configuration file: snake_case YAML in, the
 * camelCase `PricingConfig` out.
 *
 *   pricing:
 *     use_defaults: true          # the shipped OpenAI prices (default true)
 *     unpriced: refuse            # callers with a budget may not use unpriced models (default)
 *     models:
 *       - { provider: openai, model: gpt-4.1-mini, input: 0.40, cached_input: 0.10, output: 1.60 }
 *       - { provider: local, model: "*", input: 0.05, output: 0.20, shadow: true }
 *
 * Prices are USD per million tokens. Numbers may arrive as strings after
 * `${VAR}` interpolation and are accepted when numeric.
 */
import { z } from 'zod';

/** One configured price (USD per million tokens). */
export interface PriceEntry {
  /** A provider name, or `*` for every provider. */
  readonly provider: string;
  /** The upstream model name; `*` matches any run of characters. */
  readonly model: string;
  readonly input: number;
  /** Price of prompt tokens served from the provider's cache; the input price when absent. */
  readonly cachedInput?: number;
  readonly output: number;
  /** A shadow price (what one's own GPUs cost), not an invoice: reported like any price. */
  readonly shadow?: boolean;
}

export interface PricingConfig {
  /** Whether the shipped OpenAI prices apply to providers of kind `openai`. */
  readonly useDefaults: boolean;
  /** Configured prices; they win over the shipped ones. */
  readonly models: readonly PriceEntry[];
  /**
   * What a call to a model without a price does for a caller with a budget:
   * `refuse` (default: a cost the gateway cannot know cannot be held against a
   * budget) or `free` (counted at 0, as for callers without a budget).
   */
  readonly unpriced?: 'refuse' | 'free';
}

export const DEFAULT_PRICING: PricingConfig = { useDefaults: true, models: [] };

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

const usdPerMillion = z.preprocess(
  (value) => (typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : value),
  z
    .number({ error: (issue) => (issue.input === undefined ? undefined : 'expected a price in USD per million tokens, e.g. 0.40') })
    .finite()
    .min(0, { error: 'expected a price of 0 or more' }),
);

const nameOrStar = (what: string) =>
  z
    .string()
    .min(1, { error: `expected ${what}` })
    .refine((s) => s.trim() === s, { error: `expected ${what} without leading or trailing spaces` });

const priceEntry = z
  .strictObject({
    provider: nameOrStar('a provider name, or "*" for every provider'),
    model: nameOrStar('an upstream model name; "*" matches any run of characters'),
    input: usdPerMillion,
    cached_input: usdPerMillion.optional(),
    output: usdPerMillion,
    shadow: z.boolean().default(false),
  })
  .transform(
    (raw): PriceEntry => ({
      provider: raw.provider,
      model: raw.model,
      input: raw.input,
      ...(raw.cached_input === undefined ? {} : { cachedInput: raw.cached_input }),
      output: raw.output,
      shadow: raw.shadow,
    }),
  );

export const pricingSchema = z
  .strictObject({
    use_defaults: z.boolean().default(true),
    models: z.array(priceEntry).default([]),
    unpriced: z.enum(['refuse', 'free'], { error: "expected 'refuse' (callers with a budget may not use a model without a price) or 'free' (it costs 0)" }).optional(),
  })
  .superRefine((raw, ctx) => {
    const seen = new Map<string, number>();
    raw.models.forEach((entry, index) => {
      const key = `${entry.provider}\u0000${entry.model}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else ctx.addIssue({ code: 'custom', path: ['models', index, 'model'], message: `duplicate price for ${entry.provider}/${entry.model} (first given at models[${first}])` });
    });
  })
  .transform((raw): PricingConfig => ({ useDefaults: raw.use_defaults, models: raw.models, ...(raw.unpriced === undefined ? {} : { unpriced: raw.unpriced }) }));

/** The `pricing` block as written in YAML. */
export type PricingInput = z.input<typeof pricingSchema>;

import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_PRICES, PRICES_AS_OF } from '../../src/metering/default-prices.js';
import { pricingSchema } from '../../src/config/pricing-schema.js';
import { PriceBook, UnpricedWarnings, cost, type Price } from '../../src/metering/pricing.js';

const openai = { name: 'openai', kind: 'openai' };
const azure = { name: 'azure', kind: 'openai' };
const local = { name: 'local', kind: 'ollama' };
const vllm = { name: 'vllm', kind: 'openai-compatible' };
const sim = { name: 'sim', kind: 'mock' };

describe('PriceBook', () => {
  it('replace() swaps every price (a configuration reload), defaults included', () => {
    const book = new PriceBook([{ provider: 'vllm', model: 'm', input: 1, output: 2, shadow: false }], false);
    expect(book.priceFor(vllm, 'm')?.input).toBe(1);
    expect(book.priceFor(openai, 'gpt-4o')).toBeUndefined();
    book.replace([{ provider: 'vllm', model: 'n*', input: 3, output: 4, shadow: false }], true);
    expect(book.priceFor(vllm, 'm')?.source).toBe('local');
    expect(book.priceFor(vllm, 'nx')).toMatchObject({ input: 3, output: 4, source: 'config' });
    expect(book.priceFor(openai, 'gpt-4o')?.source).toBe('default');
    book.replace([], false);
    expect(book.priceFor(vllm, 'nx')?.source).toBe('local');
    expect(book.priceFor(openai, 'gpt-4o')).toBeUndefined();
  });

  it('ships dated OpenAI prices for the common models', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const book = new PriceBook([], true);
    const required = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini', 'o3-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'codex-mini-latest'];
    for (const model of required) {
      const price = book.priceFor(openai, model);
      expect(price, model).toBeDefined();
      expect(price?.source).toBe('default');
      expect(price?.output, model).toBeGreaterThan(price?.input ?? Infinity);
    }
    expect(book.priceFor(openai, 'gpt-4.1-mini')).toEqual({ input: 0.4, cachedInput: 0.1, output: 1.6, shadow: false, source: 'default' });
    expect(new Set(DEFAULT_OPENAI_PRICES.map((p) => p.model)).size).toBe(DEFAULT_OPENAI_PRICES.length);
  });

  it('prices dated snapshots as their base model unless listed', () => {
    const book = new PriceBook([], true);
    expect(book.priceFor(openai, 'gpt-4.1-mini-2025-04-14')).toEqual(book.priceFor(openai, 'gpt-4.1-mini'));
    expect(book.priceFor(openai, 'gpt-4-0613')).toEqual(book.priceFor(openai, 'gpt-4'));
    expect(book.priceFor(openai, 'gpt-4o-2024-05-13')?.input).toBe(5);
    expect(book.priceFor(openai, 'gpt-4o-2024-08-06')?.input).toBe(2.5);
  });

  it('applies defaults to every provider of kind openai, and only when enabled', () => {
    expect(new PriceBook([], true).priceFor(azure, 'gpt-4o')?.source).toBe('default');
    expect(new PriceBook([], false).priceFor(openai, 'gpt-4o')).toBeUndefined();
    // A model served by an OpenAI-compatible server is not OpenAI's price.
    expect(new PriceBook([], true).priceFor(vllm, 'gpt-4o')?.source).toBe('local');
  });

  it('lets configured entries win over defaults, exact before patterns, most specific pattern first', () => {
    const book = new PriceBook(
      [
        { provider: 'openai', model: 'gpt-4o*', input: 1, output: 2 },
        { provider: 'openai', model: 'gpt-4o-mini*', input: 0.1, output: 0.2 },
        { provider: 'openai', model: 'gpt-4o-mini', input: 0.11, output: 0.22 },
        { provider: 'openai', model: '*', input: 9, output: 9 },
        { provider: '*', model: 'llama*', input: 0.05, output: 0.1 },
      ],
      true,
    );
    expect(book.priceFor(openai, 'gpt-4o-mini')?.input).toBe(0.11);
    expect(book.priceFor(openai, 'gpt-4o-mini-2024-07-18')?.input).toBe(0.1);
    expect(book.priceFor(openai, 'gpt-4o-2024-11-20')?.input).toBe(1);
    // The catch-all pattern for this provider beats the shipped defaults.
    expect(book.priceFor(openai, 'gpt-5')).toMatchObject({ input: 9, source: 'config' });
    // Provider `*` applies to every provider, local ones included.
    expect(book.priceFor(local, 'llama3.1:8b')).toMatchObject({ input: 0.05, source: 'config' });
    expect(book.priceFor(vllm, 'qwen3:8b')?.source).toBe('local');
  });

  it('prefers an entry for the provider over a provider wildcard', () => {
    const book = new PriceBook(
      [
        { provider: '*', model: 'gpt-oss:20b', input: 1, output: 1 },
        { provider: 'local', model: 'gpt-oss*', input: 0.05, output: 0.2, shadow: true },
      ],
      false,
    );
    expect(book.priceFor(local, 'gpt-oss:20b')).toEqual({ input: 0.05, output: 0.2, shadow: true, source: 'config' });
    expect(book.priceFor(vllm, 'gpt-oss:20b')).toEqual({ input: 1, output: 1, shadow: false, source: 'config' });
  });

  it('makes local kinds free and leaves unknown remote models unpriced', () => {
    const book = new PriceBook([], true);
    for (const provider of [local, vllm, sim]) expect(book.priceFor(provider, 'anything')).toMatchObject({ input: 0, output: 0, source: 'local' });
    expect(book.priceFor(openai, 'gpt-99-ultra')).toBeUndefined();
    expect(book.priceFor({ name: 'x', kind: 'anthropic' }, 'claude')).toBeUndefined();
  });

  it('treats regex characters in patterns literally', () => {
    const book = new PriceBook([{ provider: 'vllm', model: 'org/model.v1*', input: 1, output: 1 }], false);
    expect(book.priceFor(vllm, 'org/model.v1-awq')?.input).toBe(1);
    expect(book.priceFor(vllm, 'org/modelXv1-awq')?.source).toBe('local');
  });
});

describe('cost', () => {
  const price: Price = { input: 2, cachedInput: 0.5, output: 8, shadow: false, source: 'config' };

  it('charges uncached prompt, cached prompt and completion at their own rates', () => {
    const usage = { promptTokens: 1_000_000, completionTokens: 500_000, totalTokens: 1_500_000, cachedPromptTokens: 400_000 };
    // 600k × 2 + 400k × 0.5 + 500k × 8 = 1.2 + 0.2 + 4.0
    expect(cost(price, usage)).toBeCloseTo(5.4, 10);
    expect(new PriceBook([], false).cost(price, usage)).toBeCloseTo(5.4, 10);
  });

  it('falls back to the input price for cached tokens when there is no cached price', () => {
    const noCache: Price = { input: 2, output: 8, shadow: false, source: 'config' };
    expect(cost(noCache, { promptTokens: 1_000, completionTokens: 0, totalTokens: 1_000, cachedPromptTokens: 1_000 })).toBeCloseTo(0.002, 12);
  });

  it('does not charge reasoning tokens twice (they are part of completion tokens)', () => {
    const usage = { promptTokens: 0, completionTokens: 1_000, totalTokens: 1_000, reasoningTokens: 800 };
    expect(cost(price, usage)).toBeCloseTo(0.008, 12);
  });

  it('clamps cached tokens to the prompt and ignores negative counts', () => {
    expect(cost(price, { promptTokens: 100, completionTokens: -5, totalTokens: 95, cachedPromptTokens: 500 })).toBeCloseTo((100 * 0.5) / 1e6, 12);
  });

  it('prices the default gpt-4.1-mini example from the documentation', () => {
    const book = new PriceBook([], true);
    const p = book.priceFor(openai, 'gpt-4.1-mini');
    expect(p).toBeDefined();
    if (p === undefined) return;
    // 10k prompt (2k cached) + 1k completion: 8k × 0.40 + 2k × 0.10 + 1k × 1.60 per million.
    expect(book.cost(p, { promptTokens: 10_000, cachedPromptTokens: 2_000, completionTokens: 1_000, totalTokens: 11_000 })).toBeCloseTo(0.005, 12);
  });
});

describe('UnpricedWarnings', () => {
  it('warns once per provider/model and bounds the keys it remembers', () => {
    const warned: string[] = [];
    const warnings = new UnpricedWarnings((provider, model) => warned.push(`${provider}/${model}`), 2);
    expect(warnings.warnOnce('openai', 'gpt-x')).toBe(true);
    expect(warnings.warnOnce('openai', 'gpt-x')).toBe(false);
    expect(warnings.warnOnce('azure', 'gpt-x')).toBe(true);
    expect(warnings.warnOnce('openai', 'gpt-y')).toBe(false);
    expect(warned).toEqual(['openai/gpt-x', 'azure/gpt-x']);
  });
});

describe('pricingSchema', () => {
  it('maps the YAML block to camelCase with defaults', () => {
    const parsed = pricingSchema.parse({
      use_defaults: false,
      models: [
        { provider: 'openai', model: 'gpt-4.1-mini', input: 0.4, cached_input: 0.1, output: 1.6 },
        { provider: 'local', model: '*', input: '0.05', output: 0.2, shadow: true },
      ],
    });
    expect(parsed).toEqual({
      useDefaults: false,
      models: [
        { provider: 'openai', model: 'gpt-4.1-mini', input: 0.4, cachedInput: 0.1, output: 1.6, shadow: false },
        { provider: 'local', model: '*', input: 0.05, output: 0.2, shadow: true },
      ],
    });
    expect(pricingSchema.parse({})).toEqual({ useDefaults: true, models: [] });
  });

  it('rejects unknown keys, negative or missing prices and duplicates', () => {
    const problems = (input: unknown) => {
      const result = pricingSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(problems({ use_default: true })).toEqual([expect.stringContaining('use_default')]);
    expect(problems({ models: [{ provider: 'openai', model: 'x', input: 1, output: 1, cachedInput: 1 }] })).toEqual([expect.stringContaining('cachedInput')]);
    expect(problems({ models: [{ provider: 'openai', model: 'x', input: -1, output: 1 }] })).toEqual(['models.0.input: expected a price of 0 or more']);
    expect(problems({ models: [{ provider: 'openai', model: 'x', input: 1 }] })[0]).toMatch(/^models\.0\.output/);
    expect(problems({ models: [{ provider: 'openai', model: 'x', input: 'cheap', output: 1 }] })).toEqual([
      'models.0.input: expected a price in USD per million tokens, e.g. 0.40',
    ]);
    expect(
      problems({
        models: [
          { provider: 'openai', model: 'x', input: 1, output: 1 },
          { provider: 'openai', model: 'x', input: 2, output: 2 },
        ],
      }),
    ).toEqual(['models.1.model: duplicate price for openai/x (first given at models[0])']);
  });

  it('builds a PriceBook from the parsed config', () => {
    const config = pricingSchema.parse({ models: [{ provider: 'local', model: '*', input: 0.05, output: 0.2, shadow: true }] });
    const book = new PriceBook(config.models, config.useDefaults);
    expect(book.priceFor(local, 'qwen3:30b')).toEqual({ input: 0.05, output: 0.2, shadow: true, source: 'config' });
    expect(book.priceFor(openai, 'gpt-5')?.source).toBe('default');
  });
});

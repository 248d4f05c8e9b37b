/**
 * Prices per provider and upstream model, and the cost of a call.
 *
 * Lookup order for a call to `provider/model` (first hit wins):
 *   1. a configured entry for this provider with exactly this model;
 *   2. a configured entry for this provider whose pattern matches (`*` is any
 *      run of characters; the pattern with the most literal characters wins,
 *      then the first in the file);
 *   3. the same two steps for entries with `provider: "*"`;
 *   4. with defaults on, the shipped OpenAI table for providers of kind
 *      `openai` (a dated snapshot falls back to its base model);
 *   5. providers of a local kind (`ollama`, `openai-compatible`, `mock`) are
 *      free, with or without defaults (a paid OpenAI-compatible service needs
 *      a configured price).
 * Anything else is unpriced: the caller counts `llm_unpriced_requests_total`
 * and warns once per provider/model (`UnpricedWarnings`).
 */
import type { PriceEntry } from '../config/pricing-schema.js';
import type { IRUsage } from '../ir/index.js';
import { DEFAULT_OPENAI_PRICES } from './default-prices.js';

export type PriceSource = 'config' | 'default' | 'local';

export interface Price {
  readonly input: number;
  readonly cachedInput?: number;
  readonly output: number;
  readonly shadow: boolean;
  /** Where the price came from, for logs and the admin API. */
  readonly source: PriceSource;
}

export interface ProviderRef {
  readonly name: string;
  readonly kind: string;
}

/** Provider kinds that run models on one's own hardware: free unless configured. */
export const LOCAL_PROVIDER_KINDS: ReadonlySet<string> = new Set(['ollama', 'openai-compatible', 'mock']);
const DEFAULT_PRICED_KIND = 'openai';

const FREE: Price = { input: 0, cachedInput: 0, output: 0, shadow: false, source: 'local' };

/** `-2025-04-14` or `-0613` at the end of a model name. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{4})$/;

interface PatternPrice {
  readonly regex: RegExp;
  /** Literal characters in the pattern: more means more specific. */
  readonly specificity: number;
  readonly price: Price;
}

export function cost(price: Price, usage: IRUsage): number {
  const prompt = Math.max(0, usage.promptTokens);
  const cached = Math.min(prompt, Math.max(0, usage.cachedPromptTokens ?? 0));
  const completion = Math.max(0, usage.completionTokens);
  // Reasoning tokens are part of completion tokens (OpenAI's convention, which the IR follows).
  return ((prompt - cached) * price.input + cached * (price.cachedInput ?? price.input) + completion * price.output) / 1e6;
}

export class PriceBook {
  private readonly exact = new Map<string, Price>();
  private readonly patternsByProvider = new Map<string, PatternPrice[]>();
  private readonly defaults = new Map<string, Price>();

  constructor(entries: readonly PriceEntry[], defaults: boolean) {
    this.load(entries, defaults);
  }

  /**
   * Replaces every price (a configuration reload): calls priced from now on,
   * including those in flight when they settle, use the new ones.
   */
  replace(entries: readonly PriceEntry[], defaults: boolean): void {
    this.exact.clear();
    this.patternsByProvider.clear();
    this.defaults.clear();
    this.load(entries, defaults);
  }

  private load(entries: readonly PriceEntry[], defaults: boolean): void {
    for (const entry of entries) {
      const price: Price = {
        input: entry.input,
        ...(entry.cachedInput === undefined ? {} : { cachedInput: entry.cachedInput }),
        output: entry.output,
        shadow: entry.shadow === true,
        source: 'config',
      };
      if (!entry.model.includes('*')) {
        const key = exactKey(entry.provider, entry.model);
        // The first entry wins, as for patterns (the config schema rejects duplicates anyway).
        if (!this.exact.has(key)) this.exact.set(key, price);
        continue;
      }
      const list = this.patternsByProvider.get(entry.provider) ?? [];
      list.push({ regex: patternRegex(entry.model), specificity: entry.model.length - countStars(entry.model), price });
      this.patternsByProvider.set(entry.provider, list);
    }
    // Array.prototype.sort is stable: equal specificity keeps file order.
    for (const list of this.patternsByProvider.values()) list.sort((a, b) => b.specificity - a.specificity);
    if (defaults) {
      for (const entry of DEFAULT_OPENAI_PRICES) {
        this.defaults.set(entry.model, {
          input: entry.input,
          ...(entry.cachedInput === undefined ? {} : { cachedInput: entry.cachedInput }),
          output: entry.output,
          shadow: false,
          source: 'default',
        });
      }
    }
  }

  /** The price of `upstreamModel` on `provider`, or undefined when it has none. */
  priceFor(provider: ProviderRef, upstreamModel: string): Price | undefined {
    const configured = this.configured(provider.name, upstreamModel) ?? this.configured('*', upstreamModel);
    if (configured !== undefined) return configured;
    if (provider.kind === DEFAULT_PRICED_KIND && this.defaults.size > 0) {
      const shipped = this.defaults.get(upstreamModel) ?? this.defaults.get(upstreamModel.replace(SNAPSHOT_SUFFIX, ''));
      if (shipped !== undefined) return shipped;
    }
    return LOCAL_PROVIDER_KINDS.has(provider.kind) ? FREE : undefined;
  }

  /** USD for `usage` at `price`. */
  cost(price: Price, usage: IRUsage): number {
    return cost(price, usage);
  }

  private configured(provider: string, model: string): Price | undefined {
    const exact = this.exact.get(exactKey(provider, model));
    if (exact !== undefined) return exact;
    const patterns = this.patternsByProvider.get(provider);
    if (patterns === undefined) return undefined;
    for (const pattern of patterns) {
      if (pattern.regex.test(model)) return pattern.price;
    }
    return undefined;
  }
}

/**
 * Warns once per provider/model about a model without a price. Keys are
 * bounded (a wildcard route can carry client-chosen model names): past
 * `maxKeys`, further models are not reported.
 */
export class UnpricedWarnings {
  private readonly seen = new Set<string>();

  constructor(
    private readonly warn: (provider: string, model: string) => void,
    private readonly maxKeys = 1_000,
  ) {}

  /** Calls the warning for the first sighting of provider/model; returns whether it did. */
  warnOnce(provider: string, model: string): boolean {
    const key = exactKey(provider, model);
    if (this.seen.has(key) || this.seen.size >= this.maxKeys) return false;
    this.seen.add(key);
    this.warn(provider, model);
    return true;
  }
}

function exactKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function countStars(pattern: string): number {
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === 0x2a) stars++;
  return stars;
}

function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

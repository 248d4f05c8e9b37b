export { countTextTokens, estimatePromptTokens, estimateUsage } from './tokenizer.js';
export { tokenizerFor, normalizeModelName, type TokenizerChoice } from './model-family.js';
export { PriceBook, UnpricedWarnings, cost, LOCAL_PROVIDER_KINDS, type Price, type PriceEntry, type PriceSource, type ProviderRef, type DefaultPrice } from './pricing.js';
export { pricingSchema, DEFAULT_PRICING, type PricingConfig, type PricingInput } from './pricing-schema.js';
export { PRICES_AS_OF, DEFAULT_OPENAI_PRICES } from './default-prices.js';
export { buildUsageRecord, usageStatus, type UsageRecord, type UsageRecordInput, type UsageStatus } from './usage-record.js';

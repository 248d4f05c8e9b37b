export { countTextTokens, estimatePromptTokens, estimateUsage } from './tokenizer.js';
export { tokenizerFor, normalizeModelName, type TokenizerChoice } from './model-family.js';
export { PriceBook, UnpricedWarnings, cost, LOCAL_PROVIDER_KINDS, type Price, type PriceSource, type ProviderRef } from './pricing.js';
export { PRICES_AS_OF, DEFAULT_OPENAI_PRICES, type DefaultPrice } from './default-prices.js';
export { buildUsageRecord, usageStatus, type UsageRecord, type UsageRecordInput, type UsageStatus } from './usage-record.js';
export type { UsageLedger, TenantDayTotal, LedgerStats, LedgerFailure } from './usage-ledger.js';

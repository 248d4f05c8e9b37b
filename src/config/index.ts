export type * from './types.js';
export { ConfigError, formatProblem, type ConfigProblem } from './errors.js';
export { loadConfig, parseConfigText, type LoadConfigOptions } from './load.js';
export { defaultConfig, demoModel, demoProvider, ollamaBaseUrl, EMBEDDED_SOURCE, DEMO_MODEL_NAME, DEMO_MODEL_ALIAS, DEMO_PROVIDER_NAME } from './defaults.js';
export { describeRoutes } from './describe.js';
export { parseDuration, parseSize } from './units.js';
export { pricingSchema, DEFAULT_PRICING, type PriceEntry, type PricingConfig, type PricingInput } from './pricing-schema.js';
export { storeLocation, maskUrlPassword } from './store-schema.js';

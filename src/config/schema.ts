import { DEFAULT_PRICING, pricingSchema } from './pricing-schema.js';
import { budgetListSchema, guardrailsSchema } from './budget-schema.js';
import { notificationsSchema } from './notifications-schema.js';
import { storeSchema } from './store-schema.js';
import { redisSchema } from './redis-schema.js';
/**
 * The input schema: snake_case YAML in, the resolved camelCase
 * `GatewayConfig` (without `source`) out, with every default applied.
 */
import { z } from 'zod';
import {
  BALANCING_STRATEGIES,
  DEFAULT_BALANCING,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_UPSTREAM_REPLY_LIMIT_BYTES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_STREAM_KEEPALIVE_MS,
  DEFAULT_STREAM_OUTPUT_LIMIT_BYTES,
  DEFAULT_TOTAL_TIMEOUT_MS,
  LOG_LEVELS,
  OLLAMA_BASE_URL,
  OPENAI_BASE_URL,
} from './constants.js';
import { durationMs, headers, httpUrl, integer, jsonObject, keepAlive, numeric, providerName, sizeBytes, strictMapping, wildcardText } from './fields.js';
import { describeType, missingMessage } from './issues.js';
import {
  applyCircuitBreaker,
  applyRetry,
  circuitBreakerInput,
  coolDownProblem,
  DEFAULT_RESILIENCE,
  resilienceInput,
  resolveResilience,
  retryInput,
  type CircuitBreakerInput,
  type RetryInput,
} from './resilience.js';
import { splitRoute } from './routes.js';
import type {
  DeploymentConfig,
  GatewayConfig,
  MockModelScript,
  MockProviderConfig,
  ModelConfig,
  OllamaProviderConfig,
  OpenAICompatibleProviderConfig,
  OpenAIProviderConfig,
  ProviderConfig,
  ProviderConfigBase,
  ProviderKind,
  ResilienceConfig,
  TenantConfig,
} from './types.js';

// ---------------------------------------------------------------- server, logging

const server = strictMapping({
  host: z.string().min(1).default(DEFAULT_HOST),
  port: integer(0, 65535).default(DEFAULT_PORT),
  body_limit: sizeBytes.default(DEFAULT_BODY_LIMIT_BYTES),
  shutdown_grace: durationMs.default(DEFAULT_SHUTDOWN_GRACE_MS),
  shutdown_delay: durationMs.default(DEFAULT_SHUTDOWN_DELAY_MS),
  stream_keepalive: durationMs.default(DEFAULT_STREAM_KEEPALIVE_MS),
  headers_timeout: durationMs.pipe(z.number().min(1, 'must be at least 1ms')).default(DEFAULT_HEADERS_TIMEOUT_MS),
  request_timeout: durationMs.pipe(z.number().min(1, 'must be at least 1ms')).default(DEFAULT_REQUEST_TIMEOUT_MS),
  max_connections: z.union([z.literal('auto'), integer(0, 1_000_000)], { error: "expected 'auto', or a number of connections (0: no limit)" }).default('auto'),
  upstream_reply_limit: sizeBytes.default(DEFAULT_UPSTREAM_REPLY_LIMIT_BYTES),
  stream_output_limit: sizeBytes.default(DEFAULT_STREAM_OUTPUT_LIMIT_BYTES),
}).transform((s) => ({
  host: s.host,
  port: s.port,
  bodyLimitBytes: s.body_limit,
  shutdownGraceMs: s.shutdown_grace,
  shutdownDelayMs: s.shutdown_delay,
  streamKeepaliveMs: s.stream_keepalive,
  headersTimeoutMs: s.headers_timeout,
  requestTimeoutMs: s.request_timeout,
  maxConnections: s.max_connections,
  upstreamReplyLimitBytes: s.upstream_reply_limit,
  streamOutputLimitBytes: s.stream_output_limit,
}));

const logging = strictMapping({ level: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL) });

// ---------------------------------------------------------------- auth, tenants

const SECRET_MIN_LENGTH = 16;
const secretText = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? undefined : `expected a string (the value is not shown)`) })
    .min(SECRET_MIN_LENGTH, { error: `expected ${what} of at least ${SECRET_MIN_LENGTH} characters (the value is not shown): generate one with \`openssl rand -hex 32\`` });

/** Tenant names label metrics and ledger rows: short, and safe in a URL path. */
export const tenantName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a tenant name: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit' });

const modelPatterns = z.array(wildcardText('a model name or pattern')).min(1, { error: 'expected at least one model pattern (omit the key for every model)' });

const auth = strictMapping({
  admin_token: secretText('an admin token').optional(),
  anonymous_tenant: tenantName.optional(),
  trusted_proxy: strictMapping({ secret: secretText('a proxy secret') }).optional(),
}).transform(
  (a): GatewayConfig['auth'] => ({ adminToken: a.admin_token, anonymousTenant: a.anonymous_tenant, trustedProxy: a.trusted_proxy && { secret: a.trusted_proxy.secret } }),
);

const tenant = strictMapping(
  {
    name: tenantName,
    models: modelPatterns.optional(),
    rpm: integer(1).optional(),
    tpm: integer(1).optional(),
    metadata: jsonObject.optional(),
    budgets: budgetListSchema.default([]),
    guardrails: guardrailsSchema.optional(),
  },
  { expected: 'a tenant mapping (name, models, rpm, tpm, metadata, budgets, guardrails)' },
).transform(
  (t): TenantConfig => ({ name: t.name, models: t.models, rpm: t.rpm, tpm: t.tpm, metadata: t.metadata ?? {}, budgets: t.budgets, ...(t.guardrails === undefined ? {} : { guardrails: t.guardrails }) }),
);

// ---------------------------------------------------------------- providers

/** Keys that only some kinds accept, to explain an unknown key on another kind. */
const KIND_ONLY_KEYS: Readonly<Record<string, string>> = {
  organization: 'openai',
  project: 'openai',
  keep_alive: 'ollama',
  latency: 'mock',
  tokens_per_second: 'mock',
  scripts: 'mock',
};

function elsewhere(kind: ProviderKind) {
  return (key: string): string | undefined => {
    const owner = KIND_ONLY_KEYS[key];
    return owner !== undefined && owner !== kind ? `it applies only to providers of kind ${owner}` : undefined;
  };
}

const timeouts = strictMapping({
  connect: durationMs.optional(),
  first_byte: durationMs.optional(),
  idle: durationMs.optional(),
  total: durationMs.optional(),
});

const commonKeys = {
  name: providerName,
  api_key: z.string({ error: (issue) => (issue.input === undefined ? undefined : `expected a string (the value is not shown)`) }).optional(),
  headers: headers.optional(),
  request_defaults: jsonObject.optional(),
  max_connections: integer(1).optional(),
  timeouts: timeouts.optional(),
  retry: retryInput.optional(),
  circuit_breaker: circuitBreakerInput.optional(),
};

interface CommonInput {
  name: string;
  api_key?: string | undefined;
  headers?: Record<string, string> | undefined;
  request_defaults?: Record<string, unknown> | undefined;
  max_connections?: number | undefined;
  timeouts?: { connect?: number | undefined; first_byte?: number | undefined; idle?: number | undefined; total?: number | undefined } | undefined;
  retry?: RetryInput | undefined;
  circuit_breaker?: CircuitBreakerInput | undefined;
}

/**
 * A provider entry resolves in two steps: the schema checks it, and the root
 * lays its `retry` / `circuit_breaker` overrides over the file's `resilience`
 * defaults, which a provider entry cannot see on its own.
 */
type ProviderResolver = (resilience: ResilienceConfig) => ProviderConfig;

function resolveCommon<K extends ProviderKind>(
  raw: CommonInput,
  kind: K,
  baseUrl: string,
  resilience: ResilienceConfig,
): ProviderConfigBase & { readonly kind: K } {
  return {
    name: raw.name,
    kind,
    baseUrl,
    apiKey: raw.api_key ?? '',
    headers: raw.headers ?? {},
    requestDefaults: raw.request_defaults ?? {},
    maxConnections: raw.max_connections ?? DEFAULT_MAX_CONNECTIONS,
    timeouts: {
      connectMs: raw.timeouts?.connect ?? DEFAULT_CONNECT_TIMEOUT_MS,
      firstByteMs: raw.timeouts?.first_byte ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS[kind],
      idleMs: raw.timeouts?.idle ?? DEFAULT_IDLE_TIMEOUT_MS,
      totalMs: raw.timeouts?.total ?? DEFAULT_TOTAL_TIMEOUT_MS[kind],
    },
    retry: applyRetry(resilience.retry, raw.retry),
    circuitBreaker: applyCircuitBreaker(resilience.circuitBreaker, raw.circuit_breaker),
  };
}

const openaiProvider = strictMapping(
  {
    ...commonKeys,
    kind: z.literal('openai'),
    base_url: httpUrl({ fallback: OPENAI_BASE_URL }),
    // OpenAI rejects every request without a key: fail at startup instead.
    api_key: z
      .string({
        error: (issue) =>
          issue.input === undefined ? missingMessage('the OpenAI API key, e.g. api_key: ${OPENAI_API_KEY}') : 'expected a string (the value is not shown)',
      })
      .min(1, { error: 'expected a non-empty API key for kind openai (is the environment variable empty?)' }),
    organization: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
  },
  { elsewhere: elsewhere('openai'), expected: 'a provider mapping' },
).transform(
  (raw): ProviderResolver =>
    (resilience): OpenAIProviderConfig => ({
      ...resolveCommon(raw, 'openai', raw.base_url, resilience),
      ...(raw.organization === undefined ? {} : { organization: raw.organization }),
      ...(raw.project === undefined ? {} : { project: raw.project }),
    }),
);

const openaiCompatibleProvider = strictMapping(
  {
    ...commonKeys,
    kind: z.literal('openai-compatible'),
    base_url: httpUrl({ requiredFor: 'openai-compatible' }),
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
    send_reasoning: z.boolean().optional(),
  },
  { elsewhere: elsewhere('openai-compatible'), expected: 'a provider mapping' },
).transform(
  (raw): ProviderResolver =>
    (resilience): OpenAICompatibleProviderConfig => ({
      ...resolveCommon(raw, 'openai-compatible', raw.base_url, resilience),
      ...(raw.max_tokens_field === undefined ? {} : { maxTokensField: raw.max_tokens_field }),
      ...(raw.send_reasoning === undefined ? {} : { sendReasoning: raw.send_reasoning }),
    }),
);

const ollamaProvider = strictMapping(
  { ...commonKeys, kind: z.literal('ollama'), base_url: httpUrl({ fallback: OLLAMA_BASE_URL }), keep_alive: keepAlive.optional() },
  { elsewhere: elsewhere('ollama'), expected: 'a provider mapping' },
).transform(
  (raw): ProviderResolver =>
    (resilience): OllamaProviderConfig => ({
      ...resolveCommon(raw, 'ollama', raw.base_url, resilience),
      ...(raw.keep_alive === undefined ? {} : { keepAlive: raw.keep_alive }),
    }),
);

const toolCall = strictMapping({ name: z.string().min(1), arguments: jsonObject.default({}) });

const mockScript = strictMapping({
  reply: z.string().optional(),
  reasoning: z.string().optional(),
  tool_calls: z.array(toolCall).optional(),
}).transform(
  (raw): MockModelScript => ({
    ...(raw.reply === undefined ? {} : { reply: raw.reply }),
    ...(raw.reasoning === undefined ? {} : { reasoning: raw.reasoning }),
    ...(raw.tool_calls === undefined ? {} : { toolCalls: raw.tool_calls.map((c) => ({ name: c.name, arguments: c.arguments })) }),
  }),
);

const mockProvider = strictMapping(
  {
    ...commonKeys,
    kind: z.literal('mock'),
    // Empty means the built-in in-process simulator; a URL points at a running one.
    base_url: httpUrl({ optional: true }),
    latency: durationMs.default(0),
    tokens_per_second: numeric(z.number().min(0)).default(0),
    scripts: z.record(z.string(), mockScript).default({}),
  },
  { elsewhere: elsewhere('mock'), expected: 'a provider mapping' },
).transform(
  (raw): ProviderResolver =>
    (resilience): MockProviderConfig => ({
      ...resolveCommon(raw, 'mock', raw.base_url, resilience),
      latencyMs: raw.latency,
      tokensPerSecond: raw.tokens_per_second,
      scripts: raw.scripts,
    }),
);

const providerEntry = z.discriminatedUnion('kind', [openaiProvider, openaiCompatibleProvider, ollamaProvider, mockProvider], {
  error: (issue) => {
    // Typed as union issues only, but a non-mapping entry arrives here as invalid_type.
    const code: string = issue.code;
    return code === 'invalid_type' ? `expected a provider mapping (name, kind, …), got ${describeType(issue.input)}` : undefined;
  },
});

/** One provider entry on its own, resolved against the built-in resilience defaults. */
export const providerSchema = providerEntry.transform((resolve): ProviderConfig => resolve(DEFAULT_RESILIENCE));

// ---------------------------------------------------------------- models

const ROUTE_EXPECTATION = "a 'provider/model' string (e.g. local/gpt-oss:20b) or a mapping with provider, model and weight";

/** A route entry before its default priority (its position) is known. */
type DeploymentEntry = Omit<DeploymentConfig, 'priority'> & { readonly priority: number | undefined };

const deployment = z.preprocess(
  (value, ctx) => {
    if (typeof value !== 'string') return value;
    const split = splitRoute(value);
    if (split === undefined) ctx.addIssue({ code: 'custom', message: `expected ${ROUTE_EXPECTATION}` });
    return split ?? value;
  },
  strictMapping(
    {
      provider: providerName,
      model: wildcardText('an upstream model name'),
      weight: numeric(z.number().gt(0)).default(1),
      priority: integer(0).optional(),
      context_window: integer(1).optional(),
      api: z.enum(['chat', 'responses']).optional(),
    },
    { expected: ROUTE_EXPECTATION },
  ).transform(
    (raw): DeploymentEntry => ({
      provider: raw.provider,
      model: raw.model,
      weight: raw.weight,
      priority: raw.priority,
      ...(raw.context_window === undefined ? {} : { contextWindow: raw.context_window }),
      ...(raw.api === undefined ? {} : { api: raw.api }),
    }),
  ),
);

function resolveDeployment(entry: DeploymentEntry, index: number): DeploymentConfig {
  const { priority, contextWindow, ...rest } = entry;
  return { ...rest, priority: priority ?? index + 1, ...(contextWindow === undefined ? {} : { contextWindow }) };
}

const alias = z
  .string()
  .min(1)
  .refine((s) => !s.includes('*'), { error: "expected an alias without '*' (only a model name can be a wildcard)" });

export const modelSchema = strictMapping(
  {
    name: wildcardText('a model name'),
    aliases: z.array(alias).default([]),
    route: z.array(deployment).min(1, { error: 'expected at least one deployment (provider/model) in the route' }),
    balancing: z.enum(BALANCING_STRATEGIES).default(DEFAULT_BALANCING),
    context_window: integer(1).optional(),
    description: z.string().optional(),
    guardrails: guardrailsSchema.optional(),
  },
  { expected: 'a model mapping' },
).transform(
  (raw): ModelConfig => ({
    name: raw.name,
    aliases: raw.aliases,
    route: raw.route.map(resolveDeployment),
    balancing: raw.balancing,
    ...(raw.context_window === undefined ? {} : { contextWindow: raw.context_window }),
    ...(raw.description === undefined ? {} : { description: raw.description }),
    ...(raw.guardrails === undefined ? {} : { guardrails: raw.guardrails }),
  }),
);

// ---------------------------------------------------------------- root

export type ResolvedConfig = Omit<GatewayConfig, 'source'>;

export const configSchema = strictMapping(
  {
    server: server.prefault({}),
    logging: logging.prefault({}),
    store: storeSchema.prefault({}),
    redis: redisSchema.optional(),
    auth: auth.prefault({}),
    tenants: z.array(tenant).default([]),
    notifications: notificationsSchema.prefault({}),
    resilience: resilienceInput.optional(),
    pricing: pricingSchema.optional(),
    providers: z.array(providerEntry).min(1, { error: 'expected at least one provider' }),
    models: z.array(modelSchema).min(1, { error: 'expected at least one model' }),
  },
  { expected: 'a mapping with at least providers and models' },
).transform((raw, ctx): ResolvedConfig => {
  const resilience = resolveResilience(raw.resilience);
  const globalProblem = coolDownProblem(resilience.circuitBreaker);
  if (globalProblem !== undefined) ctx.addIssue({ code: 'custom', path: ['resilience', 'circuit_breaker', 'max_cool_down'], message: globalProblem });
  const providers = raw.providers.map((resolve) => resolve(resilience));
  providers.forEach((provider, index) => {
    // Reported where the provider overrides the breaker; an inherited contradiction is reported once, above.
    const problem = coolDownProblem(provider.circuitBreaker);
    if (problem !== undefined && globalProblem === undefined) ctx.addIssue({ code: 'custom', path: ['providers', index, 'circuit_breaker'], message: problem });
  });
  raw.tenants.forEach((t, index) => {
    if (raw.tenants.findIndex((other) => other.name === t.name) !== index) ctx.addIssue({ code: 'custom', path: ['tenants', index, 'name'], message: `tenant '${t.name}' is declared twice` });
  });
  const anonymous = raw.auth.anonymousTenant;
  if (anonymous !== undefined && !raw.tenants.some((t) => t.name === anonymous)) {
    ctx.addIssue({ code: 'custom', path: ['auth', 'anonymous_tenant'], message: `tenant '${anonymous}' is not declared under tenants: declare it there (with the models and limits anonymous callers get)` });
  }
  const redis = raw.redis === undefined ? {} : { redis: raw.redis };
  return { server: raw.server, auth: raw.auth, tenants: raw.tenants, notifications: raw.notifications, logging: raw.logging, store: raw.store, ...redis, resilience, pricing: raw.pricing ?? DEFAULT_PRICING, providers, models: raw.models };
});

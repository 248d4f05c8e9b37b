/**
 * Input schemas for retries and circuit breaking. The same shapes serve the
 * global `resilience:` block and a provider's `retry:` / `circuit_breaker:`
 * overrides: every key is optional, and a block is resolved by laying it
 * over the level above (built-in defaults → `resilience` → provider).
 */
import { z } from 'zod';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from './constants.js';
import { durationMs, integer, numeric, strictMapping } from './fields.js';
import type { CircuitBreakerConfig, ResilienceConfig, RetryConfig } from './types.js';

const positiveDuration = durationMs.refine((ms) => ms > 0, { error: 'expected a duration greater than 0' });

/** YAML booleans, and "true"/"false" as they arrive from `${VAR}` interpolation. */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : value;
}, z.boolean());

const budget = strictMapping(
  {
    ratio: numeric(z.number().min(0)).optional(),
    window: positiveDuration.optional(),
    min_per_second: numeric(z.number().min(0)).optional(),
  },
  { expected: 'a mapping (ratio, window, min_per_second)' },
);

export const retryInput = strictMapping(
  {
    max_attempts: integer(1, 10).optional(),
    base_delay: durationMs.optional(),
    max_delay: durationMs.optional(),
    multiplier: numeric(z.number().min(1)).optional(),
    max_retry_after: durationMs.optional(),
    budget: budget.optional(),
  },
  { expected: 'a mapping (max_attempts, base_delay, max_delay, multiplier, max_retry_after, budget)' },
);

export const circuitBreakerInput = strictMapping(
  {
    enabled: flag.optional(),
    consecutive_failures: integer(1).optional(),
    failure_rate: numeric(z.number().gt(0).max(1)).optional(),
    min_requests: integer(1).optional(),
    window: positiveDuration.optional(),
    cool_down: positiveDuration.optional(),
    max_cool_down: positiveDuration.optional(),
    count_rate_limits: flag.optional(),
  },
  { expected: 'a mapping (enabled, consecutive_failures, failure_rate, min_requests, window, cool_down, max_cool_down, count_rate_limits)' },
);

export const resilienceInput = strictMapping(
  { retry: retryInput.optional(), circuit_breaker: circuitBreakerInput.optional() },
  { expected: 'a mapping (retry, circuit_breaker)' },
);

export type RetryInput = z.output<typeof retryInput>;
export type CircuitBreakerInput = z.output<typeof circuitBreakerInput>;
export type ResilienceInput = z.output<typeof resilienceInput>;

export function applyRetry(base: RetryConfig, input: RetryInput | undefined): RetryConfig {
  return {
    maxAttempts: input?.max_attempts ?? base.maxAttempts,
    baseDelayMs: input?.base_delay ?? base.baseDelayMs,
    maxDelayMs: input?.max_delay ?? base.maxDelayMs,
    multiplier: input?.multiplier ?? base.multiplier,
    maxRetryAfterMs: input?.max_retry_after ?? base.maxRetryAfterMs,
    budget: {
      ratio: input?.budget?.ratio ?? base.budget.ratio,
      windowMs: input?.budget?.window ?? base.budget.windowMs,
      minPerSecond: input?.budget?.min_per_second ?? base.budget.minPerSecond,
    },
  };
}

export function applyCircuitBreaker(base: CircuitBreakerConfig, input: CircuitBreakerInput | undefined): CircuitBreakerConfig {
  return {
    enabled: input?.enabled ?? base.enabled,
    consecutiveFailures: input?.consecutive_failures ?? base.consecutiveFailures,
    failureRate: input?.failure_rate ?? base.failureRate,
    minRequests: input?.min_requests ?? base.minRequests,
    windowMs: input?.window ?? base.windowMs,
    coolDownMs: input?.cool_down ?? base.coolDownMs,
    maxCoolDownMs: input?.max_cool_down ?? base.maxCoolDownMs,
    countRateLimits: input?.count_rate_limits ?? base.countRateLimits,
  };
}

export const DEFAULT_RESILIENCE: ResilienceConfig = { retry: applyRetry(DEFAULT_RETRY, undefined), circuitBreaker: applyCircuitBreaker(DEFAULT_CIRCUIT_BREAKER, undefined) };

export function resolveResilience(input: ResilienceInput | undefined): ResilienceConfig {
  return { retry: applyRetry(DEFAULT_RETRY, input?.retry), circuitBreaker: applyCircuitBreaker(DEFAULT_CIRCUIT_BREAKER, input?.circuit_breaker) };
}

/** A cool-down that could never grow is a contradiction worth reporting, not silently fixing. */
export function coolDownProblem(config: CircuitBreakerConfig): string | undefined {
  return config.maxCoolDownMs < config.coolDownMs ? 'expected max_cool_down to be at least cool_down' : undefined;
}

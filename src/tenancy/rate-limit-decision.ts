/**
 * What a rate limiter decides and tells, whatever keeps its counts: the rule
 * that refuses a call, the 429 it refuses with, and the headers an admitted
 * call's response carries. The in-process limiter (rate-limits.ts) and the
 * shared one (store/redis) differ only in where the windows live; both read
 * a window as a WindowUsage and hand it here, so a client sees the same
 * answers from one gateway or from a fleet.
 *
 * The windows slide over a minute in 5-second buckets: a bucket's counts
 * leave the window together, 60 s after the bucket began.
 */
import { RateLimitError } from '../errors/index.js';
import type { RateLimit } from '../pipeline/contracts.js';

export const RATE_WINDOW_MS = 60_000;
export const RATE_BUCKETS = 12;
export const RATE_BUCKET_MS = RATE_WINDOW_MS / RATE_BUCKETS;
/** Characters of request body per token, for the admission estimate (JSON framing makes it an over-estimate). */
const CHARS_PER_TOKEN = 4;

/** One limit's window as a decision reads it. */
export interface WindowUsage {
  readonly requests: number;
  readonly tokens: number;
  /** Milliseconds until the oldest bucket holding something leaves the window (0 when empty). */
  readonly resetMs: number;
}

/**
 * Why a limit refuses a call (numbered as the Redis script returns them):
 * its requests per minute are used up, the call alone is larger than its
 * tokens per minute, or the tokens left in the window are too few.
 */
export const Refusal = { Requests: 1, TooLarge: 2, Tokens: 3 } as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];

/** The call's tokens as estimated at admission, from its body's length; corrected when it settles. */
export function estimateTokens(bodyChars: number): number {
  return Math.ceil(bodyChars / CHARS_PER_TOKEN);
}

/** Whether `limit` refuses a call of `estimate` tokens given what its window holds (the rule the Redis script repeats). */
export function refusalOf(limit: RateLimit, usage: WindowUsage, estimate: number): Refusal | undefined {
  if (limit.rpm !== undefined && usage.requests + 1 > limit.rpm) return Refusal.Requests;
  if (limit.tpm !== undefined) {
    if (estimate > limit.tpm) return Refusal.TooLarge;
    if (usage.tokens + estimate > limit.tpm) return Refusal.Tokens;
  }
  return undefined;
}

function describe(limit: RateLimit): string {
  return limit.scope === 'key' ? `key ${limit.id}` : `tenant '${limit.id}'`;
}

function resetSeconds(usage: WindowUsage): number {
  return Math.max(1, Math.ceil(usage.resetMs / 1000));
}

/** OpenAI's rate-limit headers, for the limit that refused (or the tightest one). */
function limitHeaders(limit: RateLimit, usage: WindowUsage): Record<string, string> {
  const headers: Record<string, string> = {};
  const reset = `${resetSeconds(usage)}s`;
  if (limit.rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(limit.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limit.rpm - usage.requests));
    headers['x-ratelimit-reset-requests'] = reset;
  }
  if (limit.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(limit.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(limit.tpm - usage.tokens)));
    headers['x-ratelimit-reset-tokens'] = reset;
  }
  return headers;
}

/** The 429 for a refusal; `usage` is the refusing limit's window before the call. */
export function refusalError(limit: RateLimit, usage: WindowUsage, refusal: Refusal, estimate: number): RateLimitError {
  let what: string;
  if (refusal === Refusal.Requests) what = `Rate limit reached for ${describe(limit)}: ${limit.rpm} requests per minute`;
  else if (refusal === Refusal.TooLarge) what = `This request (about ${estimate} tokens) is larger than the ${limit.tpm} tokens per minute allowed to ${describe(limit)}; send a smaller request (shorter history)`;
  else what = `Rate limit reached for ${describe(limit)}: ${limit.tpm} tokens per minute (used ${Math.floor(usage.tokens)}, this request about ${estimate})`;
  const retryAfter = resetSeconds(usage);
  return new RateLimitError(`${what}. Try again in ${retryAfter}s, or ask your gateway administrator for a higher limit.`, retryAfter, {
    ...limitHeaders(limit, usage),
    // Codex prints "You've hit your usage limit. <this>, or try again at <time>."
    'x-codex-promo-message': `${what} (ask your gateway administrator for a higher limit)`,
  });
}

/** The share of a limit used, this call included (0–100). */
function usedPercent(limit: RateLimit, usage: WindowUsage): number {
  const requests = limit.rpm === undefined ? 0 : (usage.requests / limit.rpm) * 100;
  const tokens = limit.tpm === undefined ? 0 : (usage.tokens / limit.tpm) * 100;
  return Math.min(100, Math.max(requests, tokens));
}

/**
 * What an admitted call's response tells its client of its limits: OpenAI's
 * x-ratelimit-* for the limit closest to running out, and the same as Codex's
 * primary rate limit (shown by `/status`, warned at 75, 90 and 95 %).
 * `usages[i]` is the window of `limits[i]`, this call included.
 */
export function admittedHeaders(limits: readonly RateLimit[], usages: readonly WindowUsage[], now: number): Record<string, string> {
  let tightest = 0;
  let percent = usedPercent(limits[0]!, usages[0]!);
  for (let i = 1; i < limits.length; i++) {
    const used = usedPercent(limits[i]!, usages[i]!);
    if (used > percent) {
      tightest = i;
      percent = used;
    }
  }
  const usage = usages[tightest]!;
  const resetAt = Math.ceil((now + Math.max(1_000, usage.resetMs)) / 1000);
  return {
    ...limitHeaders(limits[tightest]!, usage),
    'x-codex-primary-used-percent': percent.toFixed(1),
    'x-codex-primary-window-minutes': String(RATE_WINDOW_MS / 60_000),
    'x-codex-primary-reset-at': String(resetAt),
  };
}

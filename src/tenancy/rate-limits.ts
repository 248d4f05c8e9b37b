/**
 * Requests and tokens per minute, per key and per tenant: the admit stage
 * refuses a call that would pass any of its principal's limits (429, with
 * the headers OpenAI sends and the fields Codex shows), and counts it in all
 * of them when it is admitted.
 *
 * Tokens are counted twice over: at admission the prompt is estimated from
 * the body's length (about four characters a token), so a burst of calls
 * cannot pass the limit before any of them is over; when the call settles the
 * estimate is replaced by the usage it really had (prompt and output). The
 * windows slide over a minute in 5-second steps and live in this process;
 * replicas sharing limits need a shared store.
 */
import { RateLimitError } from '../errors/index.js';
import type { Admission, AdmissionHandle, Call, CallOutcome, RateLimit, RequestPolicy } from '../pipeline/contracts.js';
import { RollingCounts } from '../util/rolling-counts.js';

const WINDOW_MS = 60_000;
const BUCKETS = 12;
/** Characters of request body per token, for the admission estimate (JSON framing makes it an over-estimate). */
const CHARS_PER_TOKEN = 4;

interface Window {
  readonly limit: RateLimit;
  /** first: requests, second: tokens. */
  readonly counts: RollingCounts;
}

function describe(limit: RateLimit): string {
  return limit.scope === 'key' ? `key ${limit.id}` : `tenant '${limit.id}'`;
}

/** OpenAI's rate-limit headers, for the limit that refused (or the tightest one). */
function limitHeaders(limit: RateLimit, counts: RollingCounts, now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const reset = `${Math.max(1, Math.ceil(counts.msUntilOldestExpires(now) / 1000))}s`;
  if (limit.rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(limit.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limit.rpm - counts.sumFirst(now)));
    headers['x-ratelimit-reset-requests'] = reset;
  }
  if (limit.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(limit.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(limit.tpm - counts.sumSecond(now))));
    headers['x-ratelimit-reset-tokens'] = reset;
  }
  return headers;
}

/** The share of a limit used, this call included (0–100). */
function usedPercent(window: Window, now: number): number {
  const { limit, counts } = window;
  const requests = limit.rpm === undefined ? 0 : (counts.sumFirst(now) / limit.rpm) * 100;
  const tokens = limit.tpm === undefined ? 0 : (counts.sumSecond(now) / limit.tpm) * 100;
  return Math.min(100, Math.max(requests, tokens));
}

/**
 * What an admitted call's response tells its client of its limits: OpenAI's
 * x-ratelimit-* for the limit closest to running out, and the same as Codex's
 * primary rate limit (shown by `/status`, warned at 75, 90 and 95 %).
 */
function stateHeaders(windows: readonly Window[], now: number): Record<string, string> {
  let tightest = windows[0]!;
  let percent = usedPercent(tightest, now);
  for (let i = 1; i < windows.length; i++) {
    const used = usedPercent(windows[i]!, now);
    if (used > percent) {
      tightest = windows[i]!;
      percent = used;
    }
  }
  const resetAt = Math.ceil((now + Math.max(1_000, tightest.counts.msUntilOldestExpires(now))) / 1000);
  return {
    ...limitHeaders(tightest.limit, tightest.counts, now),
    'x-codex-primary-used-percent': percent.toFixed(1),
    'x-codex-primary-window-minutes': String(WINDOW_MS / 60_000),
    'x-codex-primary-reset-at': String(resetAt),
  };
}

class Charge implements AdmissionHandle {
  constructor(
    private readonly windows: readonly Window[],
    private readonly estimate: number,
    private readonly now: () => number,
  ) {}

  settle(outcome: CallOutcome): void {
    const usage = outcome.usage;
    // Without usage (refused upstream, client gone early) the estimate stands: the prompt may well have been read.
    if (usage === undefined) return;
    const actual = usage.promptTokens + usage.completionTokens;
    const at = this.now();
    for (const window of this.windows) window.counts.add(at, 0, actual - this.estimate);
  }
}

export interface RateLimiterOptions {
  readonly now?: () => number;
  /** Windows kept at most (one per key or tenant with limits); the least recently created go first. */
  readonly maxWindows?: number;
}

export class RateLimiter implements RequestPolicy {
  readonly name = 'rate-limits';
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxWindows: number;

  constructor(options: RateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxWindows = options.maxWindows ?? 100_000;
  }

  admit(call: Call): Admission | undefined {
    const limits = call.principal.rateLimits;
    if (limits.length === 0) return undefined;
    const now = this.now();
    const estimate = Math.ceil(call.client.text.length / CHARS_PER_TOKEN);
    const windows: Window[] = [];
    for (const limit of limits) {
      const window = this.windowFor(limit);
      const { counts } = window;
      if (limit.rpm !== undefined && counts.sumFirst(now) + 1 > limit.rpm) {
        throw this.refusal(window, now, `Rate limit reached for ${describe(limit)}: ${limit.rpm} requests per minute`);
      }
      if (limit.tpm !== undefined) {
        if (estimate > limit.tpm) {
          throw this.refusal(window, now, `This request (about ${estimate} tokens) is larger than the ${limit.tpm} tokens per minute allowed to ${describe(limit)}; send a smaller request (shorter history)`);
        }
        const used = counts.sumSecond(now);
        if (used + estimate > limit.tpm) {
          throw this.refusal(window, now, `Rate limit reached for ${describe(limit)}: ${limit.tpm} tokens per minute (used ${Math.floor(used)}, this request about ${estimate})`);
        }
      }
      windows.push(window);
    }
    for (const window of windows) window.counts.add(now, 1, estimate);
    return { handle: new Charge(windows, estimate, this.now), headers: stateHeaders(windows, now) };
  }

  private refusal(window: Window, now: number, what: string): RateLimitError {
    const retryAfter = Math.max(1, Math.ceil(window.counts.msUntilOldestExpires(now) / 1000));
    return new RateLimitError(`${what}. Try again in ${retryAfter}s, or ask your gateway administrator for a higher limit.`, retryAfter, {
      ...limitHeaders(window.limit, window.counts, now),
      // Codex prints "You've hit your usage limit. <this>, or try again at <time>."
      'x-codex-promo-message': `${what} (ask your gateway administrator for a higher limit)`,
    });
  }

  private windowFor(limit: RateLimit): Window {
    const key = `${limit.scope}\u0000${limit.id}`;
    const existing = this.windows.get(key);
    // A limit changed through the admin API applies at once; the counts carry over.
    if (existing !== undefined && existing.limit.rpm === limit.rpm && existing.limit.tpm === limit.tpm) return existing;
    if (existing === undefined && this.windows.size >= this.maxWindows) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    const window: Window = { limit, counts: existing?.counts ?? new RollingCounts(WINDOW_MS, BUCKETS) };
    this.windows.set(key, window);
    return window;
  }
}

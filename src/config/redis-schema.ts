/**
 * The `redis` block: the store replicas share rate limits and key changes
 * through. Absent, every limit and cache stays in this process.
 *
 *   redis:
 *     url: "redis://:${REDIS_PASSWORD}@redis.internal:6379/0"
 *     key_prefix: "tollgate:"
 *     when_unavailable: fail_closed     # or fail_open
 *     connect_timeout: 2s
 *     command_timeout: 500ms
 *
 * The URL may hold a password: it is never echoed in a message, and shown
 * masked by check-config (maskRedisUrl).
 */
import { z } from 'zod';
import { durationMs, endpoint, strictMapping } from './fields.js';
import type { RedisConfig } from './types.js';

export const REDIS_WHEN_UNAVAILABLE = ['fail_closed', 'fail_open'] as const;
export const DEFAULT_REDIS_KEY_PREFIX = 'tollgate:';
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 500;
export const DEFAULT_REDIS_HOLD_TTL_MS = 120_000;
export const DEFAULT_REDIS_HEARTBEAT_MS = 1_000;
export const DEFAULT_REDIS_DEAD_AFTER_MS = 15_000;

/** The path, when there is one, is a database number (a URL that does not parse is reported by `endpoint`). */
function databasePath(value: string): boolean {
  try {
    return /^\/?(\d+)?$/.test(new URL(value.trim()).pathname);
  } catch {
    return true;
  }
}

const redisUrl = endpoint('a Redis URL', ['redis', 'rediss']).refine(databasePath, {
  error: 'expected a Redis URL (redis://[:password@]host[:port][/db]): the path is a database number such as /0',
});

const positiveDuration = durationMs.pipe(z.number().min(1, 'must be at least 1ms'));

export const redisSchema = strictMapping(
  {
    url: redisUrl,
    key_prefix: z
      .string()
      .regex(/^[A-Za-z0-9:._{}-]{1,64}$/, { error: 'expected a key prefix of 1 to 64 letters, digits, `:`, `.`, `_`, `-`, `{` or `}` (such as "tollgate:")' })
      .default(DEFAULT_REDIS_KEY_PREFIX),
    when_unavailable: z.enum(REDIS_WHEN_UNAVAILABLE, { error: 'expected fail_closed (refuse rate-limited calls with 503 while Redis is down) or fail_open (count them in this replica)' }).default('fail_closed'),
    connect_timeout: positiveDuration.default(DEFAULT_REDIS_CONNECT_TIMEOUT_MS),
    command_timeout: positiveDuration.default(DEFAULT_REDIS_COMMAND_TIMEOUT_MS),
    hold_ttl: durationMs.pipe(z.number().min(1_000, 'must be at least 1s')).default(DEFAULT_REDIS_HOLD_TTL_MS),
    heartbeat: durationMs.pipe(z.number().min(100, 'must be at least 100ms')).default(DEFAULT_REDIS_HEARTBEAT_MS),
    dead_after: durationMs.pipe(z.number().min(1_000, 'must be at least 1s')).default(DEFAULT_REDIS_DEAD_AFTER_MS),
  },
  { expected: 'a redis mapping (url, key_prefix, when_unavailable, connect_timeout, command_timeout, hold_ttl, heartbeat, dead_after)' },
)
  // A replica is declared dead only after several missed beats: one slow beat (a long GC pause) is not a death.
  .refine((r) => r.dead_after >= 3 * r.heartbeat, { error: 'dead_after must be at least three heartbeats', path: ['dead_after'] })
  .transform(
  (r): RedisConfig => ({
    url: r.url.trim(),
    keyPrefix: r.key_prefix,
    whenUnavailable: r.when_unavailable,
    connectTimeoutMs: r.connect_timeout,
    commandTimeoutMs: r.command_timeout,
    holdTtlMs: r.hold_ttl,
    heartbeatMs: r.heartbeat,
    deadAfterMs: r.dead_after,
  }),
);

/** The URL with its password (and user name) replaced, for check-config and logs. */
export function maskRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.username === '' && url.password === '') return text;
    if (url.password !== '') url.password = '***';
    else url.username = '***';
    return url.href;
  } catch {
    return '(an invalid URL)';
  }
}

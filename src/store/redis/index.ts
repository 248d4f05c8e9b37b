/**
 * Everything a gateway with a `redis` configuration needs, in one module so
 * that the composition root loads it (and ioredis, about 100 ms) only then.
 */
export { openSharedState, RedisHealth, type SharedState } from './connection.js';
export { ChangeBus, type ChangeListener } from './change-bus.js';
export { RedisRateLimiter, defineRateLimitScripts } from './rate-limiter.js';
export { RedisBudgetBook } from './budget-book.js';
export { CallJournal } from './call-journal.js';

import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { describeRoutes } from '../../src/config/describe.js';
import { maskRedisUrl } from '../../src/config/redis-schema.js';

const BASE = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';

function problems(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfigText(text, 'bad.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('the redis block', () => {
  it('is absent by default: everything stays in the process', () => {
    expect(parseConfigText(BASE, 't.yaml', {}).redis).toBeUndefined();
  });

  it('needs only a URL; the rest has defaults', () => {
    expect(parseConfigText(`${BASE}redis: { url: "redis://127.0.0.1:6379" }\n`, 't.yaml', {}).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'tollgate:',
      whenUnavailable: 'fail_closed',
      connectTimeoutMs: 2_000,
      commandTimeoutMs: 500,
      holdTtlMs: 120_000,
      heartbeatMs: 1_000,
      deadAfterMs: 15_000,
    });
  });

  it('reads every key, the URL from the environment', () => {
    const config = parseConfigText(
      `${BASE}redis:
  url: "rediss://:\${REDIS_PASSWORD}@redis.internal:6380/2"
  key_prefix: "gw-eu:"
  when_unavailable: fail_open
  connect_timeout: 5s
  command_timeout: 250ms
  hold_ttl: 5m
  heartbeat: 2s
  dead_after: 30s
`,
      't.yaml',
      { REDIS_PASSWORD: 'pa55-word' },
    );
    expect(config.redis).toEqual({
      url: 'rediss://:pa55-word@redis.internal:6380/2',
      keyPrefix: 'gw-eu:',
      whenUnavailable: 'fail_open',
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 250,
      holdTtlMs: 300_000,
      heartbeatMs: 2_000,
      deadAfterMs: 30_000,
    });
  });

  it('refuses a dead_after shorter than three heartbeats (one slow beat is not a death)', () => {
    expect(problems(`${BASE}redis: { url: "redis://127.0.0.1:6379", heartbeat: 1s, dead_after: 2s }\n`, {})).toMatch(/redis\.dead_after .*three heartbeats/);
  });

  it('explains each mistake with its path, never echoing the URL', () => {
    const text = problems(
      `${BASE}redis:
  url: "http://:\${REDIS_PASSWORD}@redis.internal"
  key_prefix: "has spaces"
  when_unavailable: sometimes
  command_timeout: soon
  pool: 4
`,
      { REDIS_PASSWORD: 's3cr3t-value' },
    );
    expect(text).toMatch(/redis\.url .*got a http:\/\/ URL/);
    expect(text).toMatch(/redis\.key_prefix .*key prefix/);
    expect(text).toMatch(/redis\.when_unavailable .*fail_closed .*fail_open/);
    expect(text).toMatch(/redis\.command_timeout .*duration/);
    expect(text).toMatch(/redis.*pool/);
    expect(text).not.toContain('s3cr3t-value');
    expect(problems(`${BASE}redis: { url: "not a url s3cr3t-value" }\n`)).toMatch(/redis\.url .*not a valid URL \(it is not shown/);
    expect(problems(`${BASE}redis: { key_prefix: "x:" }\n`)).toMatch(/redis\.url/);
    expect(problems(`${BASE}redis: { url: "redis://h/db" }\n`)).toMatch(/redis\.url .*database number/);
  });

  it('check-config shows the URL with its password masked', () => {
    const config = parseConfigText(`${BASE}redis: { url: "redis://:s3cr3t@redis.internal:6379/0", when_unavailable: fail_open }\n`, 't.yaml', {});
    const described = describeRoutes(config);
    expect(described).toContain('Redis: redis://:***@redis.internal:6379/0 (key prefix tollgate:, fail open while unavailable)');
    expect(described).not.toContain('s3cr3t');
    expect(maskRedisUrl('redis://user:pw@h:1')).toBe('redis://user:***@h:1');
    expect(maskRedisUrl('redis://h:1')).toBe('redis://h:1');
  });
});

import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter, retryAfterMs } from '../../src/upstream/retry-after.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('retryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(retryAfterMs({ 'retry-after': '20' }, NOW)).toBe(20_000);
    expect(retryAfterMs({ 'retry-after': '0' }, NOW)).toBe(0);
    expect(retryAfterMs({ 'retry-after': ' 3 ' }, NOW)).toBe(3_000);
  });

  it('accepts a fractional number of seconds, rounding up to whole milliseconds', () => {
    expect(retryAfterMs({ 'retry-after': '1.5' }, NOW)).toBe(1_500);
    expect(retryAfterMs({ 'retry-after': '0.0004' }, NOW)).toBe(1);
  });

  it('reads an IMF-fixdate HTTP-date relative to now', () => {
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, NOW)).toBe(30_000);
  });

  it('treats a date in the past as no wait', () => {
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 11:59:00 GMT' }, NOW)).toBe(0);
  });

  it('prefers retry-after-ms (milliseconds, float) over Retry-After', () => {
    expect(retryAfterMs({ 'retry-after-ms': '1234.5', 'retry-after': '20' }, NOW)).toBe(1235);
    expect(retryAfterMs({ 'retry-after-ms': 'soon', 'retry-after': '2' }, NOW)).toBe(2_000);
  });

  it("ignores OpenAI's x-ratelimit-reset-* durations: they are not Retry-After", () => {
    expect(retryAfterMs({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, NOW)).toBeUndefined();
  });

  it('returns undefined for missing or malformed values', () => {
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs({}, NOW)).toBeUndefined();
    for (const bad of ['', '-1', '1e3', 'soon', '5s', 'Sun, 01 Jun 2025 12:00:30', '2025-06-01T12:00:30Z']) {
      expect(retryAfterMs({ 'retry-after': bad }, NOW), bad).toBeUndefined();
    }
  });

  it('takes the first value of a repeated header', () => {
    expect(retryAfterMs({ 'retry-after': ['7', '9'] }, NOW)).toBe(7_000);
  });
});

describe('parseHttpDate', () => {
  const expected = Date.UTC(1994, 10, 6, 8, 49, 37);

  it('parses the three formats of RFC 9110 as GMT', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2030, 0, 1))).toBe(expected);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(expected);
  });

  it('places a two-digit RFC 850 year in the past when it would be over 50 years ahead', () => {
    expect(parseHttpDate('Thursday, 01-Jan-70 00:00:00 GMT', NOW)).toBe(Date.UTC(2070, 0, 1));
    expect(parseHttpDate('Thursday, 01-Jan-80 00:00:00 GMT', NOW)).toBe(Date.UTC(1980, 0, 1));
  });

  it('rejects dates that do not exist and other formats', () => {
    expect(parseHttpDate('Fri, 31 Feb 2025 00:00:00 GMT', NOW)).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 25:00:00 GMT', NOW)).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Foo 1994 08:49:37 GMT', NOW)).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 +0000', NOW)).toBeUndefined();
  });

  it('parseRetryAfter handles both forms', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:01:00 GMT', NOW)).toBe(60_000);
  });
});

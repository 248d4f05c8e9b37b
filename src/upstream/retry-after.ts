/**
 * How long an upstream asked us to wait before the next request.
 *
 * Read: `retry-after-ms` (milliseconds, a float; sent by OpenAI and Azure
 * OpenAI, preferred because it is more precise) and `Retry-After` (RFC 9110
 * §10.2.3: delta-seconds or an HTTP-date).
 *
 * Deliberately not read: OpenAI's `x-ratelimit-reset-requests` /
 * `x-ratelimit-reset-tokens` ("1s", "6m0s"). They say when a rate-limit
 * window refills completely, not when the next request may succeed; waiting
 * for them would stall requests that could go through now.
 */

/** Response headers with lower-case names, as Node and undici deliver them. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Non-negative decimal number: RFC 9110 allows only digits, but some servers send a fraction. */
const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * The wait the upstream asked for, in whole milliseconds (rounded up), or
 * undefined when neither header is present and valid. A date in the past
 * means 0. `nowMs` is the current time, for HTTP-dates.
 */
export function retryAfterMs(headers: HeaderBag | undefined, nowMs: number): number | undefined {
  if (headers === undefined) return undefined;
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && NUMBER.test(ms)) return Math.ceil(Number(ms));
  const value = first(headers['retry-after']);
  return value === undefined ? undefined : parseRetryAfter(value, nowMs);
}

/** Parses one `Retry-After` value: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (NUMBER.test(text)) return Math.ceil(Number(text) * 1000);
  const date = parseHttpDate(text, nowMs);
  return date === undefined ? undefined : Math.max(0, Math.ceil(date - nowMs));
}

function first(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return value?.[0];
}

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `Sun, 06 Nov 1994 08:49:37 GMT` — the preferred format. */
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** `Sunday, 06-Nov-94 08:49:37 GMT` — obsolete RFC 850 format. */
const RFC850 = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** `Sun Nov  6 08:49:37 1994` — ANSI C asctime() format (always GMT). */
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * The three HTTP-date formats of RFC 9110 §5.6.7, parsed strictly (the
 * built-in `Date.parse` reads asctime as local time). Milliseconds since the
 * epoch, or undefined. `nowMs` places the two-digit years of the RFC 850 form.
 */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = ASCTIME.exec(text);
  if (match !== null) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  match = RFC850.exec(text);
  if (match !== null) {
    // RFC 9110: a two-digit year more than 50 years in the future is the most recent past year with those digits.
    const currentYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(match[3]);
    if (year > currentYear + 50) year -= 100;
    return utc(String(year), match[2], match[1], match[4], match[5], match[6]);
  }
  return undefined;
}

function utc(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const month = MONTHS[monthName ?? ''];
  const d = Number(day);
  const h = Number(hour);
  const m = Number(minute);
  const s = Number(second);
  if (month === undefined || d < 1 || d > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const time = Date.UTC(Number(year), month, d, h, m, Math.min(s, 59));
  // Reject dates that do not exist (31 Feb rolls over into March).
  return new Date(time).getUTCDate() === d ? time : undefined;
}

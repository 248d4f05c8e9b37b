/**
 * Reusable field schemas: strict mappings with typo suggestions, numbers that
 * may arrive as strings (after `${VAR}` interpolation), sizes, durations, URLs,
 * names and header maps.
 */
import { z } from 'zod';
import { describeType, missingMessage, unknownKeysMessage } from './issues.js';
import { parseDuration, parseKeepAlive, parseSize } from './units.js';

export interface MappingOptions {
  /** Explains a key that belongs to another variant (e.g. another provider kind). */
  readonly elsewhere?: (key: string) => string | undefined;
  /** What a value of the wrong type should have been, e.g. "a provider mapping". */
  readonly expected?: string;
}

/** A `.strict()` mapping whose unknown-key message suggests the closest known key. */
export function strictMapping<Shape extends z.core.$ZodLooseShape>(shape: Shape, options: MappingOptions = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return unknownKeysMessage(issue.keys, known, options.elsewhere);
      if (issue.code === 'invalid_type' && options.expected !== undefined) {
        return issue.input === undefined ? missingMessage(options.expected) : `expected ${options.expected}, got ${describeType(issue.input)}`;
      }
      return undefined;
    },
  });
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** Accepts numeric strings too: `port: ${PORT:-8787}` interpolates to a string. */
export function numeric<T extends z.ZodType>(inner: T) {
  return z.preprocess((value) => (typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : value), inner);
}

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => numeric(z.number().int().min(min).max(max));

const DURATION_EXPECTATION = 'a duration: milliseconds as a number, or a string such as "500ms", "10s", "2m" or "1m30s"';

export const durationMs = z.unknown().transform((value, ctx): number => {
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: value === undefined ? missingMessage(DURATION_EXPECTATION) : `expected ${DURATION_EXPECTATION}, got ${describeInvalid(value)}` });
  return z.NEVER;
});

const SIZE_EXPECTATION = 'a size: bytes as a number, or a string such as "512kb", "10mb" or "1gb"';

export const sizeBytes = z.unknown().transform((value, ctx): number => {
  const bytes = parseSize(value);
  if (bytes !== undefined) return bytes;
  ctx.addIssue({ code: 'custom', message: value === undefined ? missingMessage(SIZE_EXPECTATION) : `expected ${SIZE_EXPECTATION}, got ${describeInvalid(value)}` });
  return z.NEVER;
});

const KEEP_ALIVE_EXPECTATION = 'a duration as Ollama reads it: a string such as "5m", "1h30m", "-1m" (keep loaded) or "0" (unload), or a number of seconds';

export const keepAlive = z.unknown().transform((value, ctx): string => {
  const parsed = parseKeepAlive(value);
  if (parsed !== undefined) return parsed;
  ctx.addIssue({ code: 'custom', message: `expected ${KEEP_ALIVE_EXPECTATION}, got ${describeInvalid(value)}` });
  return z.NEVER;
});

function describeInvalid(value: unknown): string {
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string in another format';
  if (typeof value === 'number') return 'a negative or non-finite number';
  return describeType(value);
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const providerName = z
  .string()
  .regex(NAME, { error: "expected a provider name made of letters, digits, '_', '.' and '-', starting with a letter or digit (no '/')" });

/** At most one `*` wildcard. */
export function wildcardText(what: string) {
  return z
    .string()
    .min(1)
    .refine((s) => s.trim() === s, { error: `expected ${what} without leading or trailing spaces` })
    .refine((s) => s.indexOf('*') === s.lastIndexOf('*'), { error: `expected ${what} with at most one '*' wildcard` });
}

const URL_EXAMPLE = 'http://127.0.0.1:11434';

export interface UrlOptions {
  /** Used when the key is absent or empty. */
  readonly fallback?: string;
  /** Absent or empty means '' (for the in-process mock). */
  readonly optional?: boolean;
  /** The provider kind that requires it, named when it is missing. */
  readonly requiredFor?: string;
}

/** An absolute http(s) URL, returned without trailing slashes. */
export function httpUrl(options: UrlOptions) {
  // `.optional()` first so an absent key still reaches the transform and gets its fallback.
  return z.unknown().optional().transform((value, ctx): string => {
    const problem = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    const expectation = `an absolute http:// or https:// URL such as ${URL_EXAMPLE}`;
    if (value === undefined || value === '') {
      if (options.fallback !== undefined) return options.fallback;
      if (options.optional === true) return '';
      const kind = options.requiredFor === undefined ? '' : ` for kind ${options.requiredFor}`;
      return problem(value === undefined ? `required${kind}, but missing (expected ${expectation})` : `expected ${expectation}${kind}, got an empty string`);
    }
    if (typeof value !== 'string') return problem(`expected ${expectation}, got ${describeType(value)}`);
    const trimmed = value.trim();
    if (!/^https?:\/\//i.test(trimmed)) {
      return problem(trimmed.includes('://') ? `expected ${expectation} (only http and https are supported)` : `expected ${expectation} (the scheme is missing)`);
    }
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return problem(`expected ${expectation} (the value is not a valid URL)`);
    }
    if (url.hostname === '') return problem(`expected ${expectation} (the host is missing)`);
    if (url.search !== '' || url.hash !== '') return problem(`expected ${expectation} without a query string or fragment: request paths are appended to it`);
    return url.href.replace(/\/+$/, '');
  });
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Extra upstream headers. Values are secrets: messages describe them by type only. */
export const headers = z.record(
  z.string().regex(HEADER_NAME, { error: "expected a header name (letters, digits and !#$%&'*+-.^_`|~)" }),
  z.unknown().transform((value, ctx): string => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const headerValue = String(value);
      // A line break in a header value would be rejected by the HTTP client on every request.
      if (!hasControlCharacters(headerValue)) return headerValue;
      ctx.addIssue({ code: 'custom', message: 'expected a header value without line breaks or control characters (value not shown)' });
      return z.NEVER;
    }
    ctx.addIssue({ code: 'custom', message: `expected a string header value, got ${describeType(value)}` });
    return z.NEVER;
  }),
);

function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** An arbitrary JSON object (request body defaults, tool call arguments). */
export const jsonObject = z.record(z.string(), z.unknown(), { error: (issue) => (issue.code === 'invalid_type' ? `expected a mapping (a JSON object), got ${describeType(issue.input)}` : undefined) });

/** A URL with one of the schemes; secrets in it are never echoed in messages. */
export function endpoint(what: string, schemes: readonly string[]) {
  const expectation = `${what} (${schemes.map((s) => `${s}://`).join(' or ')}…)`;
  return z.string({ error: (issue) => (issue.input === undefined ? undefined : `expected ${expectation}`) }).superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected ${expectation}; the value is not a valid URL (it is not shown: it may hold a secret)` });
      return;
    }
    if (!schemes.includes(url.protocol.slice(0, -1))) ctx.addIssue({ code: 'custom', message: `expected ${expectation}, got a ${url.protocol}// URL` });
    else if (url.hostname === '') ctx.addIssue({ code: 'custom', message: `expected ${expectation} (the host is missing)` });
  });
}

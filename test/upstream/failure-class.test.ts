import { describe, expect, it } from 'vitest';
import { InternalError, InvalidRequestError, ModelNotFoundError, UpstreamError, UpstreamInvalidResponseError, UpstreamResponseTooLargeError } from '../../src/errors/index.js';
import { breakerOutcome } from '../../src/routing/circuit-breaker.js';
import { classifyTransportError, classifyUpstreamStatus } from '../../src/upstream/classify.js';
import { classifyCode, classifyFailure, classifyStatus, shouldFallback } from '../../src/upstream/failure-class.js';

const TIMEOUTS = { connectMs: 1_000, firstByteMs: 2_000, idleMs: 3_000 };

function transport(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** What classify.ts makes of an upstream HTTP error. */
function fromStatus(status: number, body = '{"error":{"message":"nope"}}', headers: Record<string, string> = {}) {
  return classifyUpstreamStatus('p', 'm', status, headers, body);
}

describe('classifyStatus: which upstream statuses are retried', () => {
  const table: readonly [number, string, boolean, boolean][] = [
    // status, kind, retryable, fallback
    [400, 'client', false, false],
    [401, 'auth', false, true],
    [403, 'auth', false, true],
    [404, 'not_found', false, true],
    [408, 'timeout', true, true],
    [409, 'conflict', true, true],
    [413, 'client', false, false],
    [422, 'client', false, false],
    [429, 'rate_limited', true, true],
    [500, 'server', true, true],
    [501, 'server', false, true],
    [502, 'server', true, true],
    [503, 'server', true, true],
    [504, 'server', true, true],
    [507, 'server', false, true],
    [302, 'protocol', false, true],
  ];
  for (const [status, kind, retryable, fallback] of table) {
    it(`${status} → ${kind}, ${retryable ? 'retried' : 'not retried'}, ${fallback ? 'falls back' : 'no fallback'}`, () => {
      expect(classifyStatus(status)).toEqual({ kind, retryable, fallback, status });
      // The same verdict when the status arrives as classify.ts's UpstreamError.
      const error = fromStatus(status);
      const expectedKind = status === 302 ? 'protocol' : kind;
      expect(classifyFailure({ error })).toMatchObject({ kind: expectedKind, retryable, fallback });
    });
  }
});

describe('classifyFailure on GatewayErrors from classify.ts', () => {
  it('never retries rejected credentials, but another deployment may have good ones', () => {
    for (const status of [401, 403]) {
      const error = fromStatus(status);
      expect(error.code).toBe('upstream_auth_failed');
      expect(classifyFailure({ error })).toMatchObject({ kind: 'auth', retryable: false, fallback: true });
    }
  });

  it('does not retry insufficient_quota (a 429 that waiting does not fix) but falls back', () => {
    const error = fromStatus(429, '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}');
    expect(classifyFailure({ error })).toMatchObject({ kind: 'quota', retryable: false, fallback: true, status: 429 });
  });

  it('retries a rate-limit 429', () => {
    const error = fromStatus(429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', { 'retry-after': '2' });
    expect(classifyFailure({ error })).toMatchObject({ kind: 'rate_limited', retryable: true, fallback: true });
  });

  it('classifies context_length_exceeded apart from other 400s', () => {
    const error = fromStatus(400, '{"error":{"message":"This model\'s maximum context length is 8192 tokens","code":"context_length_exceeded"}}');
    expect(classifyFailure({ error })).toMatchObject({ kind: 'context_length', retryable: false, fallback: false });
  });

  it('retries transport failures and timeouts', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_TLS_HANDSHAKE_TIMEOUT']) {
      const error = classifyTransportError('p', transport(code), TIMEOUTS);
      expect(classifyFailure({ error }), code).toMatchObject({ kind: 'network', retryable: true, fallback: true });
    }
    for (const code of ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      const error = classifyTransportError('p', transport(code), TIMEOUTS);
      expect(classifyFailure({ error }), code).toMatchObject({ kind: 'timeout', retryable: true, fallback: true });
    }
  });

  it('does not retry a certificate that failed verification (it fails the same way every time)', () => {
    const error = classifyTransportError('p', transport('CERT_HAS_EXPIRED', 'certificate has expired'), TIMEOUTS);
    expect(classifyFailure({ error })).toMatchObject({ kind: 'network', retryable: false, fallback: true });
  });

  it('never retries or falls back on the gateway’s own errors', () => {
    for (const error of [new InvalidRequestError('bad'), new ModelNotFoundError('x', []), new InternalError(new Error('bug'))]) {
      expect(classifyFailure({ error })).toMatchObject({ kind: 'gateway', retryable: false, fallback: false });
    }
  });

  it('reads Responses stream error codes without an HTTP status', () => {
    expect(classifyCode('server_error', undefined)).toMatchObject({ kind: 'server', retryable: true });
    expect(classifyCode('rate_limit_exceeded', undefined)).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(classifyCode('invalid_prompt', undefined)).toMatchObject({ kind: 'gateway', retryable: false, fallback: false });
    expect(classifyFailure({ error: new UpstreamError(502, 'upstream_error', 'x', 'p', undefined) })).toMatchObject({ kind: 'server', retryable: true });
  });
});

describe('classifyFailure on raw transport errors', () => {
  const retryable: readonly [string, string][] = [
    ['ECONNRESET', 'network'],
    ['ECONNREFUSED', 'network'],
    ['ENOTFOUND', 'network'],
    ['EAI_AGAIN', 'network'],
    ['EPIPE', 'network'],
    ['EHOSTUNREACH', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'network'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ];
  for (const [code, kind] of retryable) {
    it(`${code} is a retryable ${kind} failure`, () => {
      expect(classifyFailure({ error: transport(code) })).toEqual({ kind, retryable: true, fallback: true, status: undefined });
    });
  }

  it('finds the code on the cause chain (fetch wraps it in a TypeError)', () => {
    const error = new TypeError('fetch failed', { cause: transport('ECONNREFUSED') });
    expect(classifyFailure({ error })).toMatchObject({ kind: 'network', retryable: true });
  });

  it('treats aborts as cancellations, never retried', () => {
    expect(classifyFailure({ error: new DOMException('aborted', 'AbortError') })).toMatchObject({ kind: 'cancelled', retryable: false, fallback: false });
    expect(classifyFailure({ error: transport('UND_ERR_ABORTED') })).toMatchObject({ kind: 'cancelled', retryable: false });
    expect(classifyFailure({ error: new DOMException('deadline', 'TimeoutError') })).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('does not retry errors it cannot place (a bug is not a transient failure)', () => {
    expect(classifyFailure({ error: new TypeError('x is not a function') })).toMatchObject({ kind: 'gateway', retryable: false });
    expect(classifyFailure({ error: transport('EACCES') })).toMatchObject({ kind: 'gateway', retryable: false });
  });

  it('classifies a bare status', () => {
    expect(classifyFailure({ status: 503 })).toMatchObject({ kind: 'server', retryable: true, status: 503 });
  });
});

describe('shouldFallback', () => {
  it('falls back on quota, rate limits, 5xx, network, timeouts, auth and missing models', () => {
    expect(shouldFallback({ code: 'insufficient_quota', upstreamStatus: 429 })).toBe(true);
    expect(shouldFallback({ code: 'rate_limit_exceeded', upstreamStatus: 429 })).toBe(true);
    expect(shouldFallback({ code: 'upstream_error', upstreamStatus: 500 })).toBe(true);
    expect(shouldFallback({ code: 'upstream_unavailable' })).toBe(true);
    expect(shouldFallback({ code: 'upstream_timeout' })).toBe(true);
    expect(shouldFallback({ code: 'upstream_auth_failed', upstreamStatus: 401 })).toBe(true);
    expect(shouldFallback({ code: 'model_not_found', upstreamStatus: 404 })).toBe(true);
  });

  it('does not fall back on client errors or the gateway’s own errors', () => {
    expect(shouldFallback({ code: 'invalid_request', upstreamStatus: 400 })).toBe(false);
    expect(shouldFallback({ code: 'invalid_request', upstreamStatus: 422 })).toBe(false);
    expect(shouldFallback({ code: 'request_too_large', upstreamStatus: 413 })).toBe(false);
    expect(shouldFallback({ code: 'model_not_found' })).toBe(false);
    expect(shouldFallback({ code: 'invalid_json' })).toBe(false);
  });

  it('falls back on context_length_exceeded only to a known larger context window', () => {
    const failure = { code: 'context_length_exceeded', upstreamStatus: 400 };
    expect(shouldFallback(failure, { contextWindow: 32_768, laterContextWindows: [131_072] })).toBe(true);
    expect(shouldFallback(failure, { contextWindow: 32_768, laterContextWindows: [undefined, 65_536] })).toBe(true);
    expect(shouldFallback(failure, { contextWindow: 131_072, laterContextWindows: [131_072, 32_768] })).toBe(false);
    expect(shouldFallback(failure, { contextWindow: 32_768, laterContextWindows: [undefined] })).toBe(false);
    expect(shouldFallback(failure, { laterContextWindows: [1_000_000] })).toBe(false);
    expect(shouldFallback(failure)).toBe(false);
  });
});

describe('replies the gateway refuses to relay', () => {
  it('an unreadable 2xx reply is a server failure: retried, falls back, counted by the breaker', () => {
    const error = new UpstreamInvalidResponseError('p', 'not JSON: 9 bytes of text/html beginning "<html>..."');
    expect(error.status).toBe(502);
    expect(classifyFailure({ error })).toEqual({ kind: 'server', retryable: true, fallback: true, status: undefined });
    expect(breakerOutcome(classifyFailure({ error }).kind, false)).toBe('failure');
  });

  it('a reply over the limit is not retried on the same deployment, falls back, counted by the breaker', () => {
    const error = new UpstreamResponseTooLargeError('p', 1024, 'server.upstream_reply_limit');
    expect(error.message).toContain('1024 bytes');
    expect(error.message).toContain('server.upstream_reply_limit');
    expect(classifyFailure({ error })).toEqual({ kind: 'protocol', retryable: false, fallback: true, status: undefined });
    expect(breakerOutcome(classifyFailure({ error }).kind, false)).toBe('failure');
  });
});

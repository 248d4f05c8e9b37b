import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayError } from '../../errors/index.js';
import { UpstreamInvalidResponseError, UpstreamResponseTooLargeError } from '../../errors/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject } from '../../protocols/json.js';
import { readUpstreamErrorBody } from '../../upstream/classify.js';
import type { Redactor } from '../../upstream/redact.js';
import { inStreamError } from './in-stream-error.js';

/** The configuration key of the limit, named in the error a client and the operator see. */
export const REPLY_LIMIT_KEY = 'server.upstream_reply_limit';

/** How much of an unreadable reply its error message quotes. */
const QUOTED_BYTES = 48;

/** Printable ASCII stays, anything else (control bytes, UTF-8, binary) is shown as `.`: safe in a log line and a JSON message. */
function printable(bytes: Buffer): string {
  let out = '';
  const end = Math.min(bytes.length, QUOTED_BYTES);
  for (let i = 0; i < end; i++) {
    const byte = bytes[i]!;
    out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
  }
  return bytes.length > QUOTED_BYTES ? `${out}…` : out;
}

/**
 * What the upstream sent, in a few words: content type, size and its first
 * bytes. The body's bytes are already redacted (see upstream/redact.ts);
 * headers are not, so the content type goes through `redactor` here.
 */
export function describeReceived(headers: IncomingHttpHeaders | undefined, start: Buffer, size: number, what: string, redactor: Redactor): string {
  const type = headers?.['content-type'];
  const contentType = typeof type === 'string' && type !== '' ? redactor.redact(printable(Buffer.from(type))) : 'no content type';
  if (size === 0) return `${what}: an empty body, ${contentType}`;
  return `${what}: ${size} bytes of ${contentType} beginning "${printable(start)}"`;
}

/** Logs a refused reply for the operator (what was received, secrets already redacted) and returns the error. */
export function refused(log: Logger, provider: string, model: string, error: GatewayError): GatewayError {
  log.warn({ provider, model, code: error.code }, error.message);
  return error;
}

/** A reply over the limit. */
export function replyTooLarge(provider: string, limitBytes: number): GatewayError {
  return new UpstreamResponseTooLargeError(provider, limitBytes, REPLY_LIMIT_KEY);
}

/** A declared Content-Length over the limit: the reply is refused before its body is read. */
export function declaredTooLarge(headers: IncomingHttpHeaders, limitBytes: number): boolean {
  const declared = headers['content-length'];
  return typeof declared === 'string' && Number(declared) > limitBytes;
}

export type ReplyVerdict = { readonly ok: true; readonly body: JsonObject } | { readonly ok: false; readonly error: GatewayError };

/**
 * Checks a whole non-streamed 2xx reply: it must be one JSON object, the
 * shape every OpenAI-compatible API returns. Anything else (HTML, a cut or
 * garbled body, a bare value) is an `upstream_invalid_response`, a failure
 * of the deployment that is retried and falls back like a 5xx. An object
 * holding only an OpenAI-style `error` is the upstream reporting a failure
 * with the wrong status: it becomes the same error an error event in a
 * stream would (see inStreamError), never a 200 the client would read as an
 * answer. Whether the object has `choices` or `output` is the upstream's
 * business: it is relayed as it is.
 *
 * One JSON.parse of the whole body: the cheapest complete check there is
 * (see docs/operations.md for its cost), and its result gives the usage.
 */
export function checkReply(upstream: { readonly name: string; readonly redactor: Redactor }, headers: IncomingHttpHeaders | undefined, body: Buffer): ReplyVerdict {
  const provider = upstream.name;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return { ok: false, error: new UpstreamInvalidResponseError(provider, describeReceived(headers, body, body.length, 'not JSON', upstream.redactor)) };
  }
  if (!isJsonObject(parsed)) {
    const kind = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    return { ok: false, error: new UpstreamInvalidResponseError(provider, describeReceived(headers, body, body.length, `JSON ${kind}, not an object`, upstream.redactor)) };
  }
  const error = parsed['error'];
  if (error !== undefined && error !== null && parsed['object'] === undefined) {
    const details = readUpstreamErrorBody(body.toString('utf8'));
    return {
      ok: false,
      error: inStreamError(provider, { message: details.message ?? 'an error without a message, with a success status', code: details.code ?? 'upstream_error' }),
    };
  }
  return { ok: true, body: parsed };
}

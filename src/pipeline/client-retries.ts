/**
 * Statuses a client would retry although retrying cannot help. Codex CLI
 * retries 401, 402, 403 and 404 six times (`stream_max_retries` turns) and
 * only then shows the message; a refusal of the gateway's own (a revoked
 * key, a model the key may not use) is then six requests and a delay for an
 * answer that never changes. Codex shows a 400's message at once and does not
 * retry it, so for Codex such a refusal goes out as a 400 with the same body
 * (the real status in `x-tollgate-status`). Other clients get the real status.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors/index.js';

const CODEX_RETRIES = new Set([401, 402, 403, 404]);

/** Codex CLI names itself in `originator` (`codex_exec`, `codex_cli_rs`, …) and sends its window id. */
export function isCodex(headers: IncomingHttpHeaders): boolean {
  const originator = headers['originator'];
  return (typeof originator === 'string' && originator.startsWith('codex')) || headers['x-codex-window-id'] !== undefined;
}

/** The error as this client should see it (see above). */
export function asShownTo(headers: IncomingHttpHeaders | undefined, error: GatewayError): GatewayError {
  if (headers === undefined || !CODEX_RETRIES.has(error.status) || !isCodex(headers)) return error;
  return new GatewayError(400, error.type, error.code, error.message, {
    param: error.param,
    headers: { ...error.headers, 'x-tollgate-status': String(error.status) },
    ...(error.fields === undefined ? {} : { fields: error.fields }),
  });
}

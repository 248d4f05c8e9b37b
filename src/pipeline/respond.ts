import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../errors/index.js';
import { errorJson } from '../errors/index.js';
import type { PipelineCall } from './call.js';
import { asShownTo } from './client-retries.js';

export function sendJson(res: ServerResponse, status: number, body: string | Buffer, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** An OpenAI-shaped error. If the response already started, the connection is ended instead. */
export function sendError(res: ServerResponse, error: GatewayError, headers: Readonly<Record<string, string>> = {}): void {
  const shown = asShownTo(res.req?.headers, error);
  sendJson(res, shown.status, errorJson(shown), { ...headers, ...shown.headers });
}

/**
 * The failure a call's client sees when nothing was sent yet; false when the
 * client is gone (nothing could be sent). After the gateway's own attempts
 * (`upstream`), a streaming client of a format with its own retry loop
 * (Responses: Codex CLI retries 5xx up to 30 times) gets the failure as the
 * protocol's failure event instead of an HTTP error, so the two layers of
 * retries do not multiply. The gateway's own refusals (a policy, a request
 * it cannot translate) keep their HTTP status: clients read it.
 */
export function sendFailure(res: ServerResponse, call: PipelineCall, error: GatewayError, headers: Readonly<Record<string, string>>, upstream: boolean): boolean {
  if (res.destroyed) return false;
  if (res.headersSent) {
    res.end();
    return true;
  }
  const failure = call.codec.streamFailure;
  if (!upstream || !call.stream || !failure) {
    sendError(res, error, headers);
    return true;
  }
  const encoder = call.codec.createStreamEncoder({ requestedModel: call.requestedModel, includeUsage: false, clientBody: call.body });
  let body = encoder.push({ type: 'start', id: '', model: call.requestedModel, created: Math.floor(Date.now() / 1000) });
  body += encoder.push({ type: 'error', message: failure.message(error), code: failure.code(error), errorType: error.type });
  body += encoder.end();
  res.writeHead(200, { ...headers, ...error.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-tollgate-error': error.code });
  res.end(body);
  return true;
}

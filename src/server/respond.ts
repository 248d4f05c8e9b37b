import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../errors/index.js';
import { errorJson } from '../errors/index.js';

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
  sendJson(res, error.status, errorJson(error), { ...headers, ...error.headers });
}

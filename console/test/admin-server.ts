/**
 * A small admin API on loopback for the console's tests: each test answers
 * the routes it needs and reads back what the console sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  /** Path and query, without /admin/v1. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
}

export type Handler = (request: Received) => Answer;

export interface AdminServer {
  readonly origin: string;
  readonly received: Received[];
  /** Answers `METHOD /path` (path without query); anything else is a 404 in the API's shape. */
  on(method: string, path: string, handler: Handler): void;
  close(): Promise<void>;
}

export const apiError = (status: number, message: string, code: string): Answer => ({ status, body: { error: { message, type: 'invalid_request_error', param: null, code } } });

export async function startAdminServer(): Promise<AdminServer> {
  const handlers = new Map<string, Handler>();
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').replace(/^\/admin\/v1/, '');
      const request: Received = { method: req.method ?? 'GET', path, headers: req.headers, body: raw === '' ? undefined : (JSON.parse(raw) as unknown) };
      if (request.method !== 'OPTIONS') received.push(request);
      // Browsers' DOMs in tests run on another origin: allow them, as a same-origin page would be.
      const origin = req.headers.origin;
      if (origin !== undefined) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-allow-credentials', 'true');
        res.setHeader('access-control-allow-headers', 'content-type, x-csrf-token, accept');
        res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, DELETE');
      }
      if (request.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      const handler = handlers.get(`${request.method} ${path.split('?')[0] ?? ''}`);
      const answer = handler === undefined ? apiError(404, `No route ${request.method} ${path}`, 'not_found') : handler(request);
      if (answer.text !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
      } else if (answer.body === undefined) {
        res.writeHead(answer.status).end();
      } else {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    on: (method, path, handler) => handlers.set(`${method} ${path}`, handler),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

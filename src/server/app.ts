import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MethodNotAllowedError, RouteNotFoundError, toGatewayError } from '../errors/index.js';
import type { RequestContext } from '../pipeline/contracts.js';
import { LazyRequestContext } from './request-context.js';
import { requestIdFrom } from './request-id.js';
import { sendError } from '../pipeline/respond.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void | Promise<void>;

/** Route table: path → method → handler. Paths are exact: the set is small and fixed. */
export type Routes = ReadonlyMap<string, ReadonlyMap<string, Handler>>;

export interface AppOptions {
  readonly routes: Routes;
  readonly log: Logger;
  /** Called once per finished HTTP exchange, with the route template (never the raw path). */
  readonly onResponse?: (method: string, route: string, status: number, durationSeconds: number) => void;
  /** True once the gateway shuts down: every response then closes its connection (clients reconnect, elsewhere). */
  readonly closing?: () => boolean;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  // Tolerate a trailing slash (`/v1/models/`), as many clients build URLs by concatenation.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The HTTP front: request ids, the route table, one error boundary that turns
 * anything thrown into an OpenAI-shaped error, and a client-gone signal.
 */
export function createApp(options: AppOptions): Server {
  const { routes, log } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const path = pathOf(req.url);
    const method = req.method ?? 'GET';
    const byMethod = routes.get(path);
    const routeLabel = byMethod ? path : 'unmatched';
    const ctx = new LazyRequestContext(requestId, startedAt, log, res);
    if (options.closing?.() === true) res.setHeader('connection', 'close');
    // One listener per request: `close` follows a complete response too, so it serves the access
    // log and the metrics as well as telling the pipeline that the client went away.
    res.once('close', () => {
      const finished = res.writableFinished;
      ctx.closed(finished);
      const seconds = (performance.now() - startedAt) / 1000;
      // A client that left before its response ended is counted as nginx does, with 499.
      const status = finished ? res.statusCode : 499;
      options.onResponse?.(method, routeLabel, status, seconds);
      // One line per request, on the root logger: no per-request child unless something else logs.
      log.info({ req_id: requestId, method, path: routeLabel, status, ms: Math.round(seconds * 1e4) / 10, model: ctx.model, route: ctx.route }, 'request');
    });
    try {
      if (!byMethod) throw new RouteNotFoundError(method, path);
      const handler = byMethod.get(method);
      if (!handler) throw new MethodNotAllowedError(method, path, [...byMethod.keys()]);
      await handler(req, res, ctx);
    } catch (error) {
      const gatewayError = toGatewayError(error);
      if (gatewayError.status >= 500) ctx.log.error({ err: error }, 'request failed');
      else ctx.log.info({ code: gatewayError.code, status: gatewayError.status }, gatewayError.message);
      // A body left unread (too large, or refused before it was read) is not drained: the connection closes.
      if (!res.headersSent) sendError(res, gatewayError, req.complete ? { 'x-request-id': requestId } : { 'x-request-id': requestId, connection: 'close' });
      else res.end();
    }
  }

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    void handle(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP from a client: answer 400 if the socket still works, never crash.
    if (socket.writable && error.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{"error":{"message":"Malformed HTTP request.","type":"invalid_request_error","param":null,"code":"bad_request"}}');
    } else socket.destroy();
  });
  return server;
}

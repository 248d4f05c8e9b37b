import { asShownTo } from '../pipeline/client-retries.js';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  ClientAbortedError,
  errorJson,
  GatewayError,
  MethodNotAllowedError,
  MissingHostError,
  RequestTimeoutError,
  RouteNotFoundError,
  toGatewayError,
  TooManyConnectionsError,
} from '../errors/index.js';
import type { RequestContext } from '../pipeline/contracts.js';
import { LazyRequestContext } from './request-context.js';
import { requestIdFrom } from './request-id.js';
import { sendError } from '../pipeline/respond.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void | Promise<void>;

/** Route table: path → method → handler. Paths are exact: the set is small and fixed. */
export type Routes = ReadonlyMap<string, ReadonlyMap<string, Handler>>;

/** What a client connection may take from the gateway. */
export interface ClientLimits {
  /** Time to receive a request's headers (from the connection's opening, or the request's first byte). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body, from its first byte. */
  readonly requestTimeoutMs: number;
  /** Client connections held at once; more are refused with 503. 0: no limit. */
  readonly maxConnections: number;
}

/** Why the HTTP front closed a connection on its own: a bounded label set. */
export type ConnectionRefusal = 'too_many_connections' | 'headers_timeout' | 'request_timeout' | 'malformed_request';

export interface AppOptions {
  readonly routes: Routes;
  readonly log: Logger;
  readonly limits: ClientLimits;
  /** Handlers of every path below a prefix (all methods), e.g. the admin API: `[prefix, handler]`. */
  readonly prefixes?: ReadonlyArray<readonly [string, Handler]>;
  /** Called once per finished HTTP exchange, with the route template (never the raw path). */
  readonly onResponse?: (method: string, route: string, status: number, durationSeconds: number) => void;
  /** Called each time a connection is refused or closed for a reason of the client's. */
  readonly onRefused?: (reason: ConnectionRefusal) => void;
  /** True once the gateway shuts down: every response then closes its connection (clients reconnect, elsewhere). */
  readonly closing?: () => boolean;
}

/**
 * A request refused before its body was read (too large, unauthenticated) is
 * answered at once with `connection: close`, and the body still arriving is
 * read and discarded up to these bounds before the connection closes: closing
 * a socket with unread data resets it, and a reset makes most clients lose the
 * answer they were sent (a 50 MB upload over the limit would see ECONNRESET
 * instead of the 413).
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_LIMIT_MS = 5_000;
/** A connection the front refuses stays open this long (not read) so the client reads the refusal before the close. */
const REFUSAL_LINGER_MS = 1_000;
/** Beyond this many refused connections lingering at once, they close as soon as the refusal is written. */
const MAX_LINGERING = 32;
/** Refusals are logged at most this often (with the count since the last line), so a flood does not flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  // Tolerate a trailing slash (`/v1/models/`), as many clients build URLs by concatenation.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 503: 'Service Unavailable' };

/** A whole HTTP response, for a socket no ServerResponse can answer on: an OpenAI-shaped error, then the close. */
function rawErrorResponse(error: GatewayError): string {
  const body = errorJson(error);
  let head = `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(error.headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${body}`;
}

/** HEAD is served wherever GET is (Node sends the headers and no body). */
function handlerFor(byMethod: ReadonlyMap<string, Handler>, method: string): Handler | undefined {
  return byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
}

function allowedMethods(byMethod: ReadonlyMap<string, Handler>): string[] {
  const methods = [...byMethod.keys()];
  if (byMethod.has('GET') && !byMethod.has('HEAD')) methods.push('HEAD');
  return methods;
}

/**
 * Answers `error` with `connection: close` while the request body is still
 * arriving, and reads and discards that body (within the discard bounds)
 * before ending the response, which closes the connection.
 */
function sendErrorThenDiscard(req: IncomingMessage, res: ServerResponse, refusal: GatewayError, requestId: string): void {
  const error = asShownTo(req.headers, refusal);
  const body = errorJson(error);
  res.writeHead(error.status, {
    'x-request-id': requestId,
    ...error.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.write(body);
  let left = DISCARD_LIMIT_BYTES;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    res.end();
  };
  const timer = setTimeout(finish, DISCARD_LIMIT_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left <= 0) finish();
  });
  req.once('end', finish);
  res.once('close', finish);
  req.resume();
}

/**
 * The HTTP front: request ids, the route table, one error boundary that turns
 * anything thrown into an OpenAI-shaped error, a client-gone signal, and the
 * limits that keep slow or hostile clients from holding the gateway: header
 * and request timeouts (408) and a cap on client connections (503).
 */
export function createApp(options: AppOptions): Server {
  const { routes, log, limits } = options;
  const requestTimeoutMs = limits.requestTimeoutMs;
  // Node requires the headers deadline to fall within the request's.
  const headersTimeoutMs = Math.min(limits.headersTimeoutMs, requestTimeoutMs);
  /** The request being served on each socket, so a timeout answers through its response when it can. */
  const current = new WeakMap<Duplex, LazyRequestContext>();

  /** The prefix route serving `path`, with its label (`/admin/v1/*`). */
  function prefixHandler(path: string): readonly [string, Handler] | undefined {
    for (const [prefix, handler] of options.prefixes ?? []) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return [`${prefix}/*`, handler];
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const path = pathOf(req.url);
    const method = req.method ?? 'GET';
    const byMethod = routes.get(path);
    const prefixed = byMethod === undefined ? prefixHandler(path) : undefined;
    const routeLabel = byMethod ? path : prefixed ? prefixed[0] : 'unmatched';
    const ctx = new LazyRequestContext(requestId, startedAt, log, res);
    const socket = req.socket;
    current.set(socket, ctx);
    if (options.closing?.() === true) res.setHeader('connection', 'close');
    // One listener per request: `close` follows a complete response too, so it serves the access
    // log and the metrics as well as telling the pipeline that the client went away.
    res.once('close', () => {
      const finished = res.writableFinished;
      if (current.get(socket) === ctx) current.delete(socket);
      ctx.closed(finished);
      const seconds = (performance.now() - startedAt) / 1000;
      // A client that left before its response ended is counted as nginx does, with 499.
      const status = finished ? res.statusCode : 499;
      options.onResponse?.(method, routeLabel, status, seconds);
      // One line per request, on the root logger: no per-request child unless something else logs.
      log.info({ req_id: requestId, method, path: routeLabel, status, ms: Math.round(seconds * 1e4) / 10, model: ctx.model, route: ctx.route }, 'request');
    });
    try {
      // Node's own check answers with an empty body; this one is OpenAI-shaped like every other error.
      if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) throw new MissingHostError();
      if (prefixed) return await prefixed[1](req, res, ctx);
      if (!byMethod) throw new RouteNotFoundError(method, path);
      const handler = handlerFor(byMethod, method);
      if (!handler) throw new MethodNotAllowedError(method, path, allowedMethods(byMethod));
      await handler(req, res, ctx);
    } catch (error) {
      const gatewayError = toGatewayError(error);
      if (gatewayError instanceof ClientAbortedError) {
        // The client left: nothing to answer, nothing the operator must act on.
        ctx.log.debug({ code: gatewayError.code }, gatewayError.message);
        return;
      }
      if (gatewayError.status >= 500) ctx.log.error({ err: error }, 'request failed');
      else ctx.log.info({ code: gatewayError.code, status: gatewayError.status }, gatewayError.message);
      if (res.headersSent) res.end();
      else if (res.destroyed) return;
      else if (req.complete) sendError(res, gatewayError, { 'x-request-id': requestId });
      // A body left unread (too large, or refused before it was read): the answer, then the close.
      else sendErrorThenDiscard(req, res, gatewayError, requestId);
    }
  }

  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // How often Node looks for requests past their deadlines: the deadlines are met within this.
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeoutMs / 10))),
      // Checked in `handle`, to answer with an OpenAI-shaped error.
      requireHostHeader: false,
    },
    (req, res) => {
      void handle(req, res);
    },
  );

  let lingering = 0;
  let refusedSinceLog = 0;
  let lastRefusalLogAt = -Infinity;
  /** Writes a refusal to a socket no ServerResponse answers on, stops reading it, and closes it after a short linger. */
  function refuse(socket: Duplex, response: string, reason: ConnectionRefusal): void {
    options.onRefused?.(reason);
    socket.pause();
    if (lingering >= MAX_LINGERING) {
      socket.end(response, () => socket.destroy());
      return;
    }
    lingering++;
    socket.end(response);
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      lingering--;
      clearTimeout(timer);
    });
  }

  const maxConnections = limits.maxConnections;
  if (maxConnections > 0) {
    const tooMany = rawErrorResponse(new TooManyConnectionsError(maxConnections));
    let open = 0;
    server.on('connection', (socket: Socket) => {
      if (open >= maxConnections) {
        refuse(socket, tooMany, 'too_many_connections');
        refusedSinceLog++;
        const now = performance.now();
        if (now - lastRefusalLogAt >= REFUSAL_LOG_INTERVAL_MS) {
          log.warn({ refused: refusedSinceLog, limit: maxConnections }, `client connections refused: the gateway holds its limit of ${maxConnections} (server.max_connections)`);
          lastRefusalLogAt = now;
          refusedSinceLog = 0;
        }
        return;
      }
      open++;
      socket.once('close', () => open--);
    });
  }

  const headersTimeout = rawErrorResponse(new RequestTimeoutError('headers', headersTimeoutMs));
  const malformed = rawErrorResponse(new GatewayError(400, 'invalid_request_error', 'bad_request', 'Malformed HTTP request.'));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = current.get(socket);
    // A client that left (reset, or closed amid its request), or a response already under way: nothing can be answered.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable || inFlight?.res.headersSent === true) {
      socket.destroy();
      return;
    }
    if (error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      // Malformed HTTP from a client: answer 400 while the socket still works, never crash.
      log.debug({ code: error.code }, 'malformed HTTP request');
      refuse(socket, malformed, 'malformed_request');
      return;
    }
    if (inFlight === undefined) {
      // The headers never arrived whole.
      log.info({ code: 'request_timeout', timeout_ms: headersTimeoutMs }, 'request headers timed out');
      refuse(socket, headersTimeout, 'headers_timeout');
      return;
    }
    // The headers arrived, the body did not: answer through the request's own response (access log, metrics, request id).
    options.onRefused?.('request_timeout');
    const timeout = new RequestTimeoutError('request', requestTimeoutMs);
    inFlight.log.info({ code: timeout.code, status: timeout.status, timeout_ms: requestTimeoutMs }, 'request body timed out');
    sendError(inFlight.res, timeout, { 'x-request-id': inFlight.requestId, connection: 'close' });
  });
  return server;
}

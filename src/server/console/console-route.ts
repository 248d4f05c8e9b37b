/**
 * `/console/`: the web console, served by the gateway from memory. It is a
 * client of the admin API and exists only when that does (an admin token is
 * configured). The page itself is public — it holds nothing but code; every
 * number it shows comes from the admin API behind the session cookie — and
 * it is sent with a strict Content-Security-Policy: scripts, styles and
 * connections from this origin only, never framed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, InvalidRequestError } from '../../errors/index.js';
import type { RequestContext } from '../../pipeline/contracts.js';
import type { ConsoleAsset, ConsoleAssets } from './console-assets.js';

export const CONSOLE_PREFIX = '/console';

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
/** Hashed file names never change content: a browser may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page names the current hashed files, so it is checked on every load. */
const REVALIDATE = 'no-cache';

class ConsoleOffError extends GatewayError {
  constructor() {
    super(404, 'invalid_request_error', 'console_disabled', 'The web console is off on this gateway: it needs the admin API, so set auth.admin_token in the configuration (e.g. "${TOLLGATE_ADMIN_TOKEN}") and restart.');
  }
}

class ConsoleNotBuiltError extends GatewayError {
  constructor() {
    super(503, 'api_error', 'console_not_built', "The web console's files are missing from this installation (dist/console): run `npm run build` in the source tree, or install the published package, which ships them.");
  }
}

class ConsoleFileNotFoundError extends GatewayError {
  constructor(path: string) {
    super(404, 'invalid_request_error', 'not_found', `The console has no file ${path}. Open ${CONSOLE_PREFIX}/ for the console.`);
  }
}

class ConsoleMethodError extends GatewayError {
  constructor(method: string) {
    super(405, 'invalid_request_error', 'method_not_allowed', `The console's files are read with GET or HEAD, not ${method}.`);
  }
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accepted = req.headers['accept-encoding'];
  return typeof accepted === 'string' && /\bgzip\b/.test(accepted);
}

function send(req: IncomingMessage, res: ServerResponse, asset: ConsoleAsset, cacheControl: string, requestId: string): void {
  const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'content-type': asset.contentType, 'cache-control': cacheControl, etag: asset.etag, vary: 'accept-encoding', 'x-request-id': requestId };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = asset.gzip !== undefined && acceptsGzip(req) ? asset.gzip : asset.body;
  if (body === asset.gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The console's handler: `/console` redirects to `/console/` (relative asset
 * URLs need the slash), `/console/` is the page, `/console/assets/…` its files.
 * `assets` undefined with an admin token means the build is missing.
 */
export function createConsoleHandler(options: { readonly enabled: boolean; readonly assets: ConsoleAssets | undefined }) {
  const { enabled, assets } = options;
  return function handleConsole(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    if (!enabled) throw new ConsoleOffError();
    if (assets === undefined) throw new ConsoleNotBuiltError();
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw new ConsoleMethodError(method);
    const url = req.url ?? CONSOLE_PREFIX;
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (path === CONSOLE_PREFIX) {
      res.writeHead(308, { location: `${CONSOLE_PREFIX}/${queryAt < 0 ? '' : url.slice(queryAt)}`, 'content-length': 0, 'x-request-id': ctx.requestId });
      res.end();
      return;
    }
    let file: string;
    try {
      file = decodeURIComponent(path.slice(CONSOLE_PREFIX.length + 1));
    } catch {
      throw new InvalidRequestError(`The path ${path} is not valid percent-encoding.`, { code: 'invalid_request' });
    }
    if (file === '' || file === 'index.html') {
      const page = assets.get('index.html');
      if (page === undefined) throw new ConsoleNotBuiltError();
      send(req, res, page, REVALIDATE, ctx.requestId);
      return;
    }
    // Only names read at start are served: a path cannot leave the console's directory.
    const asset = assets.get(file);
    if (asset === undefined) throw new ConsoleFileNotFoundError(path);
    send(req, res, asset, file.startsWith('assets/') ? IMMUTABLE : REVALIDATE, ctx.requestId);
  };
}

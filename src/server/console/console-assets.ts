/**
 * The web console's built files (`dist/console`, made by `npm run build` and
 * shipped in the package), read once at start into memory with their gzip
 * form and an ETag: the whole console is a few hundred kilobytes, and serving
 * from memory keeps the file system off the gateway's event loop.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
  /** Undefined when compressing does not pay (images, tiny files). */
  readonly gzip: Buffer | undefined;
  readonly etag: string;
}

/** Files by their path under `/console/` (`index.html`, `assets/index-3f2a.js`). */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.webmanifest']);
/** Below this, gzip's header costs more than it saves. */
const MIN_GZIP_BYTES = 512;

/**
 * Where the built console is: beside the compiled gateway (`dist/server/console`
 * → `dist/console`), or, when the gateway runs from its TypeScript sources
 * (tests), in the repository's `dist/console`.
 */
export function defaultConsoleDirectory(): string | undefined {
  const candidates = [new URL('../../console/', import.meta.url), new URL('../../../dist/console/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Reads every file of a built console; undefined when `dir` holds no `index.html`. */
export function loadConsoleAssets(dir: string | undefined): ConsoleAssets | undefined {
  if (dir === undefined || !existsSync(join(dir, 'index.html')) || !statSync(dir).isDirectory()) return undefined;
  const assets = new Map<string, ConsoleAsset>();
  for (const path of filesUnder(dir)) {
    const extension = extname(path).toLowerCase();
    // Source maps stay on disk: they are for a developer's build, not for every browser.
    if (extension === '.map') continue;
    const body = readFileSync(path);
    const gzip = COMPRESSIBLE.has(extension) && body.length >= MIN_GZIP_BYTES ? gzipSync(body, { level: constants.Z_BEST_COMPRESSION }) : undefined;
    assets.set(relative(dir, path).split(sep).join('/'), {
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      body,
      gzip,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return assets;
}

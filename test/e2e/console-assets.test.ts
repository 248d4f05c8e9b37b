/**
 * `/console/`: the built console served from memory — only with an admin
 * token, with a strict CSP, cache headers that fit hashed file names, gzip,
 * ETags, and nothing outside the console's own files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'console-assets-admin-token-0123';
const SCRIPT = `export const answer = ${JSON.stringify('x'.repeat(4000))};\n`;
let built: string;
let gateway: Gateway;

function withAdmin(adminToken: string | undefined): GatewayConfig {
  return { ...config([], []), auth: { adminToken, anonymousTenant: undefined, trustedProxy: undefined } };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A raw request: the path goes out exactly as written (no URL normalisation). */
function get(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function errorCode(answer: Answer): string {
  return (JSON.parse(answer.body.toString('utf8')) as { error: { code: string } }).error.code;
}

beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), 'tollgate-console-'));
  mkdirSync(join(built, 'assets'));
  writeFileSync(join(built, 'index.html'), '<!doctype html><title>Tollgate</title><script type="module" src="/console/assets/app-3f2a9c.js"></script>');
  writeFileSync(join(built, 'assets', 'app-3f2a9c.js'), SCRIPT);
  writeFileSync(join(built, 'assets', 'app-3f2a9c.js.map'), '{}');
  gateway = await startTestGateway(withAdmin(ADMIN_TOKEN), { consoleDirectory: built });
});
afterAll(async () => {
  await gateway.close();
});

describe('the console page and its files', () => {
  it('redirects /console to /console/ and serves the page, revalidated on every load, with a strict CSP', async () => {
    const redirect = await get(gateway.url, '/console?x=1');
    expect(redirect.status).toBe(308);
    expect(redirect.headers['location']).toBe('/console/?x=1');
    for (const path of ['/console/', '/console/index.html']) {
      const page = await get(gateway.url, path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.body.toString('utf8')).toContain('<title>Tollgate</title>');
    }
  });

  it('serves hashed assets as immutable, gzipped when the browser accepts it, and answers 304 to a matching ETag', async () => {
    const plain = await get(gateway.url, '/console/assets/app-3f2a9c.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(SCRIPT);
    const zipped = await get(gateway.url, '/console/assets/app-3f2a9c.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toBe('accept-encoding');
    expect(zipped.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(SCRIPT);
    const etag = String(plain.headers['etag']);
    const again = await get(gateway.url, '/console/assets/app-3f2a9c.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get(gateway.url, '/console/assets/app-3f2a9c.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(SCRIPT.length));
  });

  it('serves nothing outside the built files: no source maps, no path out of the directory, no writes', async () => {
    expect(errorCode(await get(gateway.url, '/console/assets/app-3f2a9c.js.map'))).toBe('not_found');
    expect(errorCode(await get(gateway.url, '/console/%2e%2e/%2e%2e/package.json'))).toBe('not_found');
    expect(errorCode(await get(gateway.url, '/console/assets/missing.js'))).toBe('not_found');
    expect(errorCode(await get(gateway.url, '/console/%E0%A4%A'))).toBe('invalid_request');
    const post = await get(gateway.url, '/console/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(errorCode(post)).toBe('method_not_allowed');
  });
});

describe('without the console', () => {
  it('is off, saying how to turn it on, when no admin token is configured', async () => {
    const off = await startTestGateway(withAdmin(undefined), { consoleDirectory: built });
    try {
      const answer = await get(off.url, '/console/');
      expect(answer.status).toBe(404);
      const error = (JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('console_disabled');
      expect(error.message).toContain('auth.admin_token');
    } finally {
      await off.close();
    }
  });

  it('answers 503 naming the build step when the files are missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tollgate-console-empty-'));
    const unbuilt = await startTestGateway(withAdmin(ADMIN_TOKEN), { consoleDirectory: empty });
    try {
      const answer = await get(unbuilt.url, '/console/');
      expect(answer.status).toBe(503);
      const error = (JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('console_not_built');
      expect(error.message).toContain('npm run build');
    } finally {
      await unbuilt.close();
    }
  });
});

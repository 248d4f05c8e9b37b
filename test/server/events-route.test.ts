/**
 * The event stream's keep-alive: an idle feed sends a comment line every
 * keepAliveMs, over a real loopback connection, and leaves the feed when the
 * client goes.
 */
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestFeed } from '../../src/metering/request-feed.js';
import { serveEvents } from '../../src/server/admin/events-route.js';
import { LazyRequestContext } from '../../src/server/request-context.js';
import { silentLog } from '../helpers/gateway.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('serveEvents', () => {
  it('sends a keep-alive comment every keepAliveMs and unsubscribes when the client leaves', async () => {
    const feed = new RequestFeed();
    server = createServer((req, res) => serveEvents(feed, req, res, new LazyRequestContext('req_x', performance.now(), silentLog, res), { keepAliveMs: 40 }));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    let text = '';
    const req = get({ host: '127.0.0.1', port, path: '/admin/v1/events', agent: false });
    const res = await new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
    res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    expect(res.headers['x-request-id']).toBe('req_x');
    await new Promise((r) => setTimeout(r, 150));
    expect(text.startsWith(': tollgate live feed\n\n')).toBe(true);
    expect(text.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(2);
    expect(feed.subscriberCount).toBe(1);
    req.destroy();
    const deadline = Date.now() + 2_000;
    while (feed.subscriberCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(feed.subscriberCount).toBe(0);
  });
});

/**
 * The event stream's keep-alive: an idle feed sends a comment line every
 * keepAliveMs, over a real loopback connection, and leaves the feed when the
 * client goes; events are written in batches, not one write per call.
 */
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestFeed } from '../../src/metering/request-feed.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
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

  it('writes the calls that finish within batchMs together, once, after batchMs', async () => {
    const feed = new RequestFeed();
    const writes: number[] = [];
    server = createServer((req, res) => {
      // Counts the stream's writes on the server side, where batching happens (the client may see them coalesced anyway).
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => {
        writes.push(performance.now());
        return write(chunk);
      }) as typeof res.write;
      serveEvents(feed, req, res, new LazyRequestContext('req_b', performance.now(), silentLog, res), { batchMs: 150 });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    let text = '';
    const req = get({ host: '127.0.0.1', port, path: '/admin/v1/events', agent: false });
    const res = await new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
    res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const opened = writes.length;
    const start = performance.now();
    // Thirty calls finishing in separate turns of the event loop, within the batch.
    for (let i = 0; i < 30; i++) {
      feed.publish(record(i));
      await new Promise((r) => setImmediate(r));
    }
    expect(writes.length).toBe(opened);
    const deadline = Date.now() + 2_000;
    while (text.split('event: request').length - 1 < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(text.split('event: request').length - 1).toBe(30);
    expect(writes.length).toBe(opened + 1);
    expect(writes.at(-1)! - start).toBeGreaterThanOrEqual(140);
    expect(text.indexOf('req_0')).toBeLessThan(text.indexOf('req_29'));
    req.destroy();
  });
});

function record(i: number): UsageRecord {
  return {
    time: Date.now(),
    requestId: `req_${i}`,
    tenant: 't',
    keyId: null,
    routeModel: 'm',
    requestedModel: 'm',
    provider: 'p',
    upstreamModel: 'm',
    promptTokens: 1,
    completionTokens: 1,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    estimated: false,
    status: 'ok',
    httpStatus: 200,
    latencyMs: 1,
    ttftMs: 1,
  };
}

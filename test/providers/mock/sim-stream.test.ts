import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseStreamWriter, type SseScript } from '../../../src/providers/mock/sim-stream.js';

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** Serves `script` through an SseStreamWriter; resolves with the server's response object and the client's. */
async function serve(script: SseScript, tokensPerSecond: number): Promise<{ serverRes: ServerResponse; clientRes: IncomingMessage }> {
  let serverRes: ServerResponse | undefined;
  const server = createServer((_req, res) => {
    serverRes = res;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    new SseStreamWriter(res, script, { tokensPerSecond, failAfter: undefined, errorAfter: undefined }).start();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clientRes = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/' }, resolve);
    req.on('error', reject);
    req.end();
  });
  return { serverRes: serverRes!, clientRes };
}

describe('SseStreamWriter', () => {
  it('waits for drain: a client that does not read keeps the server-side buffer small', async () => {
    // 20 MB in 1 KB frames, far more than the loopback socket buffers hold.
    const frames = Array.from({ length: 20_000 }, (_, i) => `data: ${String(i).padStart(1_000, '.')}\n\n`);
    const script: SseScript = { frames, deltaAt: frames.map((_, i) => i), errorFrames: () => '' };
    const { serverRes, clientRes } = await serve(script, 1_000_000);
    clientRes.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(serverRes.writableEnded).toBe(false);
    expect(serverRes.writableLength).toBeLessThan(1024 * 1024);

    let text = '';
    clientRes.setEncoding('utf8');
    clientRes.on('data', (piece: string) => {
      text += piece;
    });
    clientRes.resume();
    await new Promise((resolve) => clientRes.once('end', resolve));
    expect(text).toBe(frames.join(''));
  });
});

import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** What a raw TCP upstream does with each connection's first request. */
export type Fault =
  /** Reset the connection before sending anything. */
  | { readonly kind: 'reset_before_headers' }
  /** Send response headers and part of an SSE body, then reset. */
  | { readonly kind: 'reset_mid_body'; readonly body: string }
  /** Read the request and never answer. */
  | { readonly kind: 'hang' }
  /** Send headers and one event, then one more event every `intervalMs`. */
  | { readonly kind: 'drip'; readonly first: string; readonly next: string; readonly intervalMs: number };

export interface FaultyServer {
  readonly url: string;
  /** Requests received (one per connection: every reply closes or hangs). */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * An upstream misbehaving at the TCP level, where an HTTP server library
 * would not let a test misbehave: resets, hangs and drip-feeding.
 */
export async function startFaultyServer(fault: Fault): Promise<FaultyServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let seen = '';
    socket.on('data', (data: Buffer) => {
      seen += data.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      if (seen === '') return;
      seen = '';
      requests++;
      respond(socket, fault);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';

function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

function respond(socket: Socket, fault: Fault): void {
  switch (fault.kind) {
    case 'reset_before_headers':
      socket.resetAndDestroy();
      return;
    case 'reset_mid_body':
      socket.write(SSE_HEAD + chunk(fault.body), () => setTimeout(() => socket.resetAndDestroy(), 10));
      return;
    case 'hang':
      return;
    case 'drip': {
      socket.write(SSE_HEAD + chunk(fault.first));
      const timer = setInterval(() => socket.write(chunk(fault.next)), fault.intervalMs);
      socket.on('close', () => clearInterval(timer));
      return;
    }
  }
}

/** A port on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

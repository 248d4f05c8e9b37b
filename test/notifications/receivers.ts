/**
 * Real receivers for the notification channels, on 127.0.0.1 with an
 * ephemeral port: an HTTP server standing in for a Slack incoming webhook and
 * a generic webhook (it records every POST and answers 200 `ok`, as Slack
 * does, or 500 for the first `failFirst` requests of a path), and an SMTP
 * server (smtp-server: no TLS, STARTTLS disabled, AUTH PLAIN/LOGIN accepted
 * in the clear) that records each message or rejects the first `failFirst`
 * with 451, a temporary failure.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  /** The status the receiver answered. */
  readonly status: number;
}

export interface HttpReceiver {
  readonly url: string;
  readonly posts: ReceivedPost[];
  /** The accepted posts (status 200) of a path. */
  accepted(path: string): ReceivedPost[];
  close(): Promise<void>;
}

export async function startHttpReceiver(options: { readonly failFirst?: number } = {}): Promise<HttpReceiver> {
  const posts: ReceivedPost[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const count = (seen.get(path) ?? 0) + 1;
      seen.set(path, count);
      const status = count <= (options.failFirst ?? 0) ? 500 : 200;
      posts.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'internal_error: try again later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    accepted: (path) => posts.filter((post) => post.path === path && post.status === 200),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly user: string | undefined;
  readonly raw: string;
  /** Header value (unfolded) by lower-case name. */
  header(name: string): string | undefined;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly mails: ReceivedMail[];
  readonly rejected: number;
  close(): Promise<void>;
}

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

export async function startSmtpReceiver(options: { readonly failFirst?: number } = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let received = 0;
  let rejected = 0;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => {
        received++;
        if (received <= (options.failFirst ?? 0)) {
          rejected++;
          const error = Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(parts).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw,
          header: (name) => headerOf(raw, name),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    get rejected() {
      return rejected;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The real services around a multi-replica test, each owned by the test so
 * it may stop and restart them without touching the machine's shared ones:
 * a private redis-server, a TCP proxy in front of the shared PostgreSQL (cut
 * and restored to make the database unreachable, as a network failure or a
 * restart would), a private PostgreSQL schema, and nginx balancing the
 * replicas round robin.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../ops/support/processes.js';

export const SHARED_POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;

/** Waits until `probe` resolves true, polling; throws after `timeoutMs` saying what it waited for. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A redis-server of the test's own, on a free port, without persistence (a restart loses everything, as configured in production caches). */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  output = '';

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString('utf8')).slice(-8_000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString('utf8')).slice(-8_000)));
    this.child = child;
    await waitFor(`redis-server on ${this.port}`, () => this.output.includes('Ready to accept connections'), 10_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    child.kill('SIGKILL');
    await exitOf(child);
  }
}

/** A TCP proxy the test can cut (listener closed, every connection reset) and restore on the same port. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { readonly host: string; readonly port: number },
  ) {}

  static async start(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.restore();
    return proxy;
  }

  restore(): Promise<void> {
    if (this.server !== undefined) return Promise.resolve();
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A schema of the shared PostgreSQL database for one test file; its URL selects it for every connection. */
export class PostgresSchema {
  private constructor(readonly name: string) {}

  static async create(): Promise<PostgresSchema> {
    const name = `tg_scale_${Math.random().toString(36).slice(2, 10)}`;
    await PostgresSchema.run(`CREATE SCHEMA ${name}`);
    return new PostgresSchema(name);
  }

  private static async run(sql: string): Promise<void> {
    const client = new pg.Client(SHARED_POSTGRES);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** The URL of the database through `host:port` (a proxy), selecting this schema. */
  url(port: number = SHARED_POSTGRES.port): string {
    return `postgres://${SHARED_POSTGRES.user}@127.0.0.1:${port}/${SHARED_POSTGRES.database}?options=${encodeURIComponent(`-c search_path=${this.name}`)}`;
  }

  async query<Row extends pg.QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ ...SHARED_POSTGRES, options: `-c search_path=${this.name}` });
    await client.connect();
    try {
      return (await client.query<Row>(sql, [...params])).rows;
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    await PostgresSchema.run(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
  }
}

/** nginx from the system, balancing `backends` round robin with streaming (no buffering) and keep-alive upstream connections. */
export class Nginx {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, backends: readonly string[]): Promise<Nginx> {
    const port = await freePort();
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const conf = join(dir, 'nginx.conf');
    const servers = backends.map((backend) => `    server ${new URL(backend).host} max_fails=1 fail_timeout=2s;`).join('\n');
    writeFileSync(
      conf,
      `# Round robin over the replicas; SSE passed through as it comes.
worker_processes 1;
error_log stderr warn;
pid ${join(dir, 'nginx.pid')};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream tollgate {
${servers}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 16m;
    location / {
      proxy_pass http://tollgate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`,
    );
    const child = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off; master_process on; user root;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const nginx = new Nginx(child, port);
    child.stderr?.on('data', (chunk: Buffer) => (nginx.output = (nginx.output + chunk.toString('utf8')).slice(-8_000)));
    await waitFor(`nginx on ${port}: ${nginx.output}`, async () => (await fetch(`${nginx.url}/healthz`)).status === 200, 10_000);
    return nginx;
  }

  logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGQUIT');
    await exitOf(this.child);
  }
}

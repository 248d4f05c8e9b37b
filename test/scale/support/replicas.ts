/**
 * Several `tollgate start` processes sharing one PostgreSQL schema and one
 * Redis, as a multi-replica deployment runs them: each from the built CLI,
 * on its own ephemeral port, with its log lines captured.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGatewayProcess } from '../../cli/support/gateway-process.js';
import type { GatewayProcess } from '../../cli/support/gateway-process.js';

export interface Replica {
  readonly name: string;
  readonly url: string;
  readonly process: GatewayProcess;
}

/** Starts `count` replicas from one configuration file; resolves once each logged the URL it serves. */
export async function startReplicas(dir: string, config: string, count: number): Promise<Replica[]> {
  const file = join(dir, 'tollgate.yaml');
  writeFileSync(file, config);
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir };
  // One after the other would hide the start-up race of migrations: they start together.
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `replica-${i + 1}`;
      const child = startGatewayProcess(['start', '--config', file], { cwd: dir, env });
      const line = await child.logLine((l) => typeof l['url'] === 'string', 30_000);
      return { name, url: String(line['url']), process: child };
    }),
  );
}

/** A JSON call to one replica or the balancer; resolves with the status and parsed body (text when not JSON). */
export async function call(url: string, path: string, init: { readonly key?: string; readonly admin?: string; readonly method?: string; readonly body?: unknown; readonly requestId?: string } = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.key !== undefined) headers['authorization'] = `Bearer ${init.key}`;
  if (init.admin !== undefined) headers['authorization'] = `Bearer ${init.admin}`;
  if (init.requestId !== undefined) headers['x-request-id'] = init.requestId;
  const response = await fetch(`${url}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a stream or plain text
  }
  return { status: response.status, body, headers: response.headers };
}

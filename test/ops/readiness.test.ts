/**
 * /readyz behind a load balancer: `?upstreams=false` leaves out the upstream
 * checks (an upstream outage must not take every replica out of rotation),
 * and the upstream checks follow a configuration reload.
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { startTestGateway } from '../helpers/gateway.js';

interface Readiness {
  readonly status: string;
  readonly checks: ReadonlyArray<{ readonly name: string; readonly ok: boolean }>;
}

async function readyz(url: string): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Readiness };
}

function yaml(providers: readonly string[]): string {
  return ['store: { path: ":memory:" }', 'providers:', ...providers.map((p) => `  - ${p}`), 'models:', '  - { name: a, route: [down/m] }', ''].join('\n');
}

const DOWN = '{ name: down, kind: openai-compatible, base_url: "http://127.0.0.1:1/v1" }';
const ALSO_DOWN = '{ name: also-down, kind: openai-compatible, base_url: "http://127.0.0.1:2/v1" }';

describe('/readyz', () => {
  it('?upstreams=false checks only the replica itself; the full probe still names the failing upstream', async () => {
    const gateway = await startTestGateway(parseConfigText(yaml([DOWN]), 'test.yaml', {}));
    try {
      const full = await readyz(`${gateway.url}/readyz`);
      expect(full.status).toBe(503);
      expect(full.body.checks.map((c) => [c.name, c.ok])).toEqual([
        ['store', true],
        ['provider:down', false],
      ]);
      const local = await readyz(`${gateway.url}/readyz?upstreams=false`);
      expect(local.status).toBe(200);
      expect(local.body).toMatchObject({ status: 'ready', checks: [{ name: 'store', ok: true }] });
      // Any other value keeps every check.
      expect((await readyz(`${gateway.url}/readyz?upstreams=true`)).status).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('checks the providers of the configuration as reloaded', async () => {
    const gateway = await startTestGateway(parseConfigText(yaml([DOWN]), 'test.yaml', {}));
    try {
      const outcome = await gateway.reload(() => parseConfigText(yaml([DOWN, ALSO_DOWN]), 'test.yaml', {}));
      expect(outcome.result).toBe('ok');
      expect((await readyz(`${gateway.url}/readyz`)).body.checks.map((c) => c.name)).toEqual(['store', 'provider:down', 'provider:also-down']);
    } finally {
      await gateway.close();
    }
  });
});

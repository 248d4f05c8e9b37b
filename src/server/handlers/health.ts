import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../../pipeline/contracts.js';
import { sendJson } from '../../pipeline/respond.js';

export function handleHealthz(_req: unknown, res: ServerResponse, ctx: RequestContext): void {
  sendJson(res, 200, JSON.stringify({ status: 'ok' }), { 'x-request-id': ctx.requestId });
}

export interface ReadinessCheck {
  readonly name: string;
  check(signal: AbortSignal): Promise<void>;
}

/** GET /readyz: 200 when every check passes, 503 with the failing ones named otherwise. */
/** `checks` is asked for the list at each probe: a configuration reload changes the providers. */
export function createReadyzHandler(checks: () => readonly ReadinessCheck[], isShuttingDown: () => boolean, circuits: () => Record<string, unknown> = () => ({})) {
  return async function handleReadyz(_req: unknown, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(2_000)]);
    const results = await Promise.all(
      checks().map(async (c) => {
        try {
          await c.check(signal);
          return { name: c.name, ok: true };
        } catch (error) {
          return { name: c.name, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const ready = !isShuttingDown() && results.every((r) => r.ok);
    sendJson(res, ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready', shutting_down: isShuttingDown(), checks: results, deployments: circuits() }), {
      'x-request-id': ctx.requestId,
    });
  };
}

import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../../pipeline/contracts.js';
import { sendJson } from '../../pipeline/respond.js';

export function handleHealthz(_req: unknown, res: ServerResponse, ctx: RequestContext): void {
  sendJson(res, 200, JSON.stringify({ status: 'ok' }), { 'x-request-id': ctx.requestId });
}

export interface ReadinessCheck {
  readonly name: string;
  /**
   * A dependency the gateway can serve without, less well (Redis with
   * `when_unavailable: fail_open`): its failure is reported, with the status
   * `degraded`, but leaves the gateway ready.
   */
  readonly degradable?: boolean;
  check(signal: AbortSignal): Promise<void>;
}

interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly degraded?: boolean;
}

/**
 * GET /readyz: 200 when every check passes, 503 with the failing ones named
 * otherwise; 200 with status `degraded` when only degradable checks fail.
 */
export function createReadyzHandler(checks: readonly ReadinessCheck[], isShuttingDown: () => boolean, circuits: () => Record<string, unknown> = () => ({})) {
  return async function handleReadyz(_req: unknown, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(2_000)]);
    const results = await Promise.all(
      checks.map(async (c): Promise<CheckResult> => {
        try {
          await c.check(signal);
          return { name: c.name, ok: true };
        } catch (error) {
          return { name: c.name, ok: false, error: error instanceof Error ? error.message : String(error), ...(c.degradable === true ? { degraded: true } : {}) };
        }
      }),
    );
    const ready = !isShuttingDown() && results.every((r) => r.ok || r.degraded === true);
    const status = !ready ? 'not_ready' : results.every((r) => r.ok) ? 'ready' : 'degraded';
    sendJson(res, ready ? 200 : 503, JSON.stringify({ status, shutting_down: isShuttingDown(), checks: results, deployments: circuits() }), {
      'x-request-id': ctx.requestId,
    });
  };
}

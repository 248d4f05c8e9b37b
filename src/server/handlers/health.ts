import type { IncomingMessage, ServerResponse } from 'node:http';
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
  /** An upstream provider: left out by `/readyz?upstreams=false`. */
  readonly upstream?: boolean;
  check(signal: AbortSignal): Promise<void>;
}

interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly degraded?: boolean;
}

/** Whether the probe asks to leave the upstream checks out (`?upstreams=false`). */
function withoutUpstreams(url: string | undefined): boolean {
  const query = url?.indexOf('?') ?? -1;
  return query >= 0 && new URLSearchParams(url!.slice(query + 1)).get('upstreams') === 'false';
}

/**
 * GET /readyz: 200 when every check passes, 503 with the failing ones named
 * otherwise; 200 with status `degraded` when only degradable checks fail.
 * `checks` is asked for the list at each probe (a configuration reload
 * changes the providers). Behind a load balancer, `?upstreams=false` checks
 * only what is this replica's own (the store, Redis, shutdown): an upstream
 * outage is the same for every replica, and must not take them all out of
 * rotation at once (clients would get the balancer's error instead of the
 * gateway's).
 */
export function createReadyzHandler(checks: () => readonly ReadinessCheck[], isShuttingDown: () => boolean, circuits: () => Record<string, unknown> = () => ({})) {
  return async function handleReadyz(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(2_000)]);
    const local = withoutUpstreams(req.url);
    const results = await Promise.all(
      checks()
        .filter((c) => !(local && c.upstream === true))
        .map(async (c): Promise<CheckResult> => {
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

import type { ServerResponse } from 'node:http';
import type { GatewayMetrics } from '../../telemetry/metrics.js';
import type { RequestContext } from '../../pipeline/contracts.js';

/** GET /metrics in the Prometheus text format. */
export function createMetricsHandler(metrics: GatewayMetrics) {
  return async function handleMetrics(_req: unknown, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const body = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body), 'x-request-id': ctx.requestId });
    res.end(body);
  };
}

import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the gateway exports, on one registry owned by the gateway
 * instance (no global default registry: two gateways in one process, as in
 * tests, must not share series). Names are a contract with dashboards and
 * alert rules; label values always come from bounded sets.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  /** Hosted tools a client offered that the upstream format cannot express, dropped from the request. */
  readonly droppedTools = new Counter({
    name: 'llm_dropped_tools_total',
    help: 'Tools dropped from requests because the upstream protocol has no equivalent (e.g. web_search on a Chat Completions upstream).',
    labelNames: ['tool', 'provider'] as const,
    registers: [this.registry],
  });

  constructor(options: { readonly defaultMetrics: boolean } = { defaultMetrics: true }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

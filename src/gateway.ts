import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { DEFAULT_STREAM_OUTPUT_LIMIT_BYTES } from './config/constants.js';
import { createMeteringObserver } from './metering/metering-observer.js';
import { PriceBook, UnpricedWarnings } from './metering/pricing.js';
import { SqliteUsageLedger } from './store/sqlite/usage-ledger.js';
import type { UsageLedger } from './metering/usage-ledger.js';
import { createProviders } from './providers/registry.js';
import { DeploymentStates } from './routing/deployment-state.js';
import { systemClock } from './util/clock.js';
import type { Clock } from './util/clock.js';
import { systemRandom } from './util/random.js';
import type { RandomSource } from './util/random.js';
import type { Provider } from './providers/types.js';
import { Router } from './routing/router.js';
import { createApp } from './server/app.js';
import type { Handler, Routes } from './server/app.js';
import { createCompletionsHandler } from './server/handlers/completions.js';
import { createReadyzHandler, handleHealthz } from './server/handlers/health.js';
import type { ReadinessCheck } from './server/handlers/health.js';
import { createModelsHandler } from './server/handlers/models.js';
import { createMetricsHandler } from './server/handlers/metrics.js';
import type { Authenticator, CallObserver, RequestPolicy } from './pipeline/contracts.js';
import { Pipeline } from './pipeline/pipeline.js';
import { openAuthenticator } from './pipeline/principal.js';
import { estimateUsage, outputTokenCounter } from './metering/tokenizer.js';
import { GatewayMetrics } from './telemetry/metrics.js';

export interface GatewayOptions {
  readonly log: Logger;
  /** Overrides of the configured listen address (CLI flags, tests: port 0). */
  readonly host?: string;
  readonly port?: number;
  /** Who may call (default: everyone, as tenant `default`). */
  readonly authenticator?: Authenticator;
  readonly policies?: readonly RequestPolicy[];
  readonly observers?: readonly CallObserver[];
  /** Time and randomness for retries, breakers and balancing (tests inject fakes). */
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** Check every outgoing stream against its protocol and log violations (TOLLGATE_VALIDATE_STREAMS=1). */
  readonly validateStreams?: boolean;
  /** Defaults to a fresh registry with the process metrics. */
  readonly metrics?: GatewayMetrics;
}

export interface Gateway {
  readonly url: string;
  readonly server: Server;
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly metrics: GatewayMetrics;
  readonly ledger: UsageLedger;
  close(): Promise<void>;
}

function ledgerCheck(ledger: UsageLedger): ReadinessCheck {
  return { name: 'store', check: () => ledger.check() };
}

function providerCheck(provider: Provider): ReadinessCheck {
  return {
    name: `provider:${provider.name}`,
    async check(signal) {
      if (provider.listModels) await provider.listModels(signal);
    },
  };
}

/** The composition root: builds every part from the configuration and starts listening. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
  const { log } = options;
  const providers = await createProviders(config.providers, { onWarning: (message) => log.warn(message) });
  const router = new Router(config.models, providers);
  let shuttingDown = false;
  const metrics = options.metrics ?? new GatewayMetrics();
  const ledger: UsageLedger = SqliteUsageLedger.open(config.store.path, {
    onError: (error) => log.error({ err: error }, 'usage ledger write failed; rows are kept and retried'),
    onDrop: (event) => log.error({ dropped: event.count, reason: event.reason }, 'usage ledger dropped rows'),
  });
  metrics.seedTodayCost(await ledger.todayCostByTenant());

  const clock = options.clock ?? systemClock;
  const states = new DeploymentStates({
    clock,
    onStateChange: (key, change) => {
      const slash = key.indexOf('/');
      metrics.circuitOpen.labels(key.slice(0, slash), key.slice(slash + 1)).set(change.to === 'closed' ? 0 : 1);
      log.warn({ deployment: key, from: change.from, to: change.to, reason: change.reason, cool_down_ms: change.coolDownMs }, 'circuit breaker changed state');
    },
  });
  const pipeline = new Pipeline({
    log,
    clock,
    random: options.random ?? systemRandom,
    states,
    router,
    authenticator: options.authenticator ?? openAuthenticator,
    policies: options.policies ?? [],
    tokens: { outputCounter: outputTokenCounter, estimateUsage },
    observers: [
      createMeteringObserver({
        metrics,
        prices: new PriceBook(config.pricing.models, config.pricing.useDefaults),
        unpriced: new UnpricedWarnings((provider, model) =>
          log.warn({ provider, model }, `no price for model '${model}' on provider '${provider}': it is costed at 0 (add it under pricing.models)`),
        ),
        ledger,
        log,
      }),
      ...(options.observers ?? []),
    ],
    streamKeepaliveMs: config.server.streamKeepaliveMs,
    streamOutputLimit: config.server.streamOutputLimitBytes ?? DEFAULT_STREAM_OUTPUT_LIMIT_BYTES,
    metrics,
    validateStreams: options.validateStreams ?? false,
  });
  const bodyLimit = config.server.bodyLimitBytes;
  const route = (entries: ReadonlyArray<readonly [string, Handler]>): ReadonlyMap<string, Handler> => new Map(entries);
  const routes: Routes = new Map([
    ['/v1/chat/completions', route([['POST', createCompletionsHandler('openai-chat', pipeline, bodyLimit)]])],
    ['/chat/completions', route([['POST', createCompletionsHandler('openai-chat', pipeline, bodyLimit)]])],
    ['/v1/responses', route([['POST', createCompletionsHandler('openai-responses', pipeline, bodyLimit)]])],
    ['/responses', route([['POST', createCompletionsHandler('openai-responses', pipeline, bodyLimit)]])],
    ['/v1/models', route([['GET', createModelsHandler(pipeline, Math.floor(Date.now() / 1000))]])],
    ['/healthz', route([['GET', handleHealthz]])],
    ['/metrics', route([['GET', createMetricsHandler(metrics)]])],
    ['/readyz', route([['GET', createReadyzHandler([ledgerCheck(ledger), ...[...providers.values()].map(providerCheck)], () => shuttingDown, () => states.snapshot())]])],
  ]);

  const server = createApp({ routes, log, onResponse: (method, path, status, seconds) => metrics.observeHttp(method, path, status, seconds) });
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  async function close(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs);
    grace.unref();
    await closed;
    clearTimeout(grace);
    await Promise.allSettled([...providers.values()].map((p) => p.close()));
    // Every finished request's row is written before the process goes.
    await ledger.close();
  }

  return { url, server, config, router, providers, metrics, ledger, close };
}

import { ASSUMED_MAX_OUTPUT_TOKENS, DEFAULT_BUDGET_OUTPUT_RESERVE, DEFAULT_UNPRICED_WITH_BUDGET, FALLBACK_CLIENT_MAX_CONNECTIONS, RESERVED_DESCRIPTORS } from './config/constants.js';
import { openFileLimit } from './util/open-files.js';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { DEFAULT_STREAM_OUTPUT_LIMIT_BYTES } from './config/constants.js';
import { createMeteringObserver } from './metering/metering-observer.js';
import { LedgerAdmission } from './metering/ledger-admission.js';
import { RequestFeed } from './metering/request-feed.js';
import { ledgerReporting } from './metering/ledger-reporting.js';
import { DEFAULT_LEDGER_MAX_BUFFERED_ROWS, DEFAULT_LEDGER_WHEN_FULL } from './config/constants.js';
import { PriceBook, UnpricedWarnings } from './metering/pricing.js';
import { openStore, type PostgresLedgerFactory, type Store } from './store/open-store.js';
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
import { RateLimiter } from './tenancy/rate-limits.js';
import { ADMIN_PREFIX, createAdminHandler } from './server/admin/admin-api.js';
import { routesView } from './server/admin/routes-view.js';
import { defaultConsoleDirectory, loadConsoleAssets } from './server/console/console-assets.js';
import { CONSOLE_PREFIX, createConsoleHandler } from './server/console/console-route.js';
import { Tenancy } from './tenancy/tenancy.js';
import type { TenancyChange } from './tenancy/changes.js';
import { sendError } from './pipeline/respond.js';
import { estimatePromptTokens, estimateUsage, outputTokenCounter, preloadEncodings, promptTokensBoundOf } from './metering/tokenizer.js';
import { BudgetBook } from './budgets/budget-book.js';
import { GuardrailMetrics } from './budgets/guardrail-metrics.js';
import { resolveRoute } from './pipeline/resolve.js';
import { BudgetPolicy } from './budgets/budget-policy.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { openNotifications, type Notifications } from './notifications/open.js';
import type { Notifier } from './notifications/contracts.js';
import { startDailySummaries } from './reports/daily-summary.js';
import type { TenancyStore } from './tenancy/records.js';
import type { BudgetListener } from './budgets/budget-book.js';
import type { BudgetRef, BudgetStore, SharedBudgetBookFactory } from './budgets/budget-store.js';
import { ServerShuttingDownError, listenFailure } from './errors/index.js';
import { Shutdown } from './server/shutdown.js';
import { replicaId } from './util/ids.js';
import type { SharedState } from './store/redis/index.js';
import { LiveConfig } from './server/live-config.js';
import { Reloader, type ReloadOutcome } from './server/reload.js';
import { ReloadMetrics } from './telemetry/reload-metrics.js';

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
  /**
   * Reads this gateway's configuration file again (the CLI's loader). With
   * `redis`, a reload made here is announced to the other replicas, and one
   * they announce reloads this gateway with it.
   */
  readonly loadConfig?: () => GatewayConfig;
  /** Budgets shared by several replicas (a RedisBudgetBook); default: this process's own book. */
  readonly sharedBudgets?: SharedBudgetBookFactory;
  /** The usage ledger of a `store.kind: postgres` store (see store/open-store.ts). */
  readonly postgresLedger?: PostgresLedgerFactory;
  /** Where the built web console is (default: `dist/console` of this installation). */
  readonly consoleDirectory?: string;
}

export interface Gateway {
  readonly url: string;
  readonly server: Server;
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly metrics: GatewayMetrics;
  readonly ledger: UsageLedger;
  /** The budgets and cost guardrails (its book: each budget's limit, spend, holds). */
  readonly budgets: BudgetPolicy;
  /** Tenants and virtual keys (the admin API's and the CLI's operations). */
  readonly tenancy: Tenancy;
  /** Every finished call's usage record, streamed to the admin API's live feed (`GET /admin/v1/events`). */
  readonly feed: RequestFeed;
  /** Budget alerts and daily summaries go through it to the configured channels (durably, once per id). */
  readonly notifier: Notifier;
  /** The Redis replicas share state through (`redis` configured); undefined: everything stays in this process. */
  readonly shared: SharedState | undefined;
  /**
   * Shuts down (see server/shutdown.ts): /readyz 503, the configured delay,
   * calls in flight finish until `server.shutdown_grace`, the rest are ended
   * with status `shutdown`; then connections, providers and the ledger close.
   * Every call returns the same promise; `{ now: true }` skips what is left
   * of the delay and the deadline (a second signal).
   */
  close(options?: { readonly now?: boolean }): Promise<void>;
  /**
   * Loads the configuration again with `load` (throwing a ConfigError when it
   * is invalid) and applies what can change while serving (see
   * server/reload.ts); `config`, `router` and `providers` then return the new
   * ones. A rejected configuration leaves the running one in place.
   */
  reload(load: () => GatewayConfig): Promise<ReloadOutcome>;
}

/** What a start-up got running before it failed: closed again, so nothing keeps the process alive. */
interface Started {
  providers?: ReadonlyMap<string, Provider>;
  ledger?: UsageLedger;
  tenancyStore?: TenancyStore;
  notifications?: Notifications;
  sharedBook?: { close(): Promise<void> } | undefined;
  store?: Store;
  shared?: SharedState;
}

/** The database answers (PostgreSQL: `SELECT 1`), and the ledger can write. */
function storeCheck(store: Store, ledger: UsageLedger): ReadinessCheck {
  return {
    name: 'store',
    async check(signal) {
      await store.check(signal);
      await ledger.check();
    },
  };
}

/** Redis down makes the gateway unready, unless calls are then served with per-replica limits (fail_open: degraded). */
function redisCheck(shared: SharedState): ReadinessCheck {
  return { name: 'redis', degradable: shared.whenUnavailable === 'fail_open', check: (signal) => shared.ping(signal) };
}

function providerCheck(provider: Provider): ReadinessCheck {
  return {
    name: `provider:${provider.name}`,
    upstream: true,
    async check(signal) {
      if (provider.listModels) await provider.listModels(signal);
    },
  };
}

/**
 * The budgets and cost guardrails (always installed: budgets can be set at
 * run time; a caller with neither costs one check). A budget's spend in its
 * current period is read from the ledger the first time it is seen.
 */
function openBudgets(
  config: GatewayConfig,
  ledger: UsageLedger,
  prices: PriceBook,
  router: () => Router,
  metrics: GatewayMetrics,
  log: Logger,
  listener: BudgetListener | undefined,
  shared: BudgetStore | undefined,
): BudgetPolicy {
  return new BudgetPolicy({
    book: shared ?? new BudgetBook(Date.now, listener),
    prices,
    unpriced: config.pricing.unpriced ?? DEFAULT_UNPRICED_WITH_BUDGET,
    metrics: new GuardrailMetrics(metrics.registry),
    log,
    promptTokensBound: promptTokensBoundOf,
    countPromptTokens: estimatePromptTokens,
    reroute: (principal, model) => resolveRoute(router(), principal, model),
    spentSince: (ref, since) => spentSinceOf(ledger, ref, since),
    watchStepTokens: DEFAULT_BUDGET_OUTPUT_RESERVE,
    assumedMaxOutputTokens: ASSUMED_MAX_OUTPUT_TOKENS,
  });
}

function spentSinceOf(ledger: UsageLedger, ref: BudgetRef, since: number): Promise<number> {
  return ledger.spentSince(ref.scope === 'tenant' ? { tenant: ref.owner } : { keyId: ref.owner }, since);
}

/**
 * `server.max_connections` resolved: `auto` is the open-file limit less what
 * the upstream pools may hold (each provider's max_connections) and a
 * reserve, at least 64; the fallback when the limit cannot be read.
 */
export function clientConnectionLimit(config: GatewayConfig, fileLimit: number | undefined): number {
  const configured = config.server.maxConnections;
  if (configured !== 'auto') return configured;
  if (fileLimit === undefined) return FALLBACK_CLIENT_MAX_CONNECTIONS;
  const upstream = config.providers.reduce((sum, p) => sum + p.maxConnections, 0);
  return Math.max(64, fileLimit - upstream - RESERVED_DESCRIPTORS);
}

/**
 * The composition root: builds every part from the configuration and starts
 * listening. A failure closes whatever was already started (the listener,
 * when it fails, never opened) and throws: a StartupError for the listener
 * and the store, one line saying what to do.
 */
export async function startGateway(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
  const started: Started = {};
  try {
    return await assembleGateway(config, options, started);
  } catch (error) {
    await Promise.allSettled([...(started.providers?.values() ?? [])].map((p) => p.close()));
    await started.sharedBook?.close().catch(() => undefined);
    await started.notifications?.close().catch(() => undefined);
    await started.ledger?.close().catch(() => undefined);
    await started.tenancyStore?.close().catch(() => undefined);
    await started.store?.close().catch(() => undefined);
    await started.shared?.close().catch(() => undefined);
    throw error;
  }
}

async function assembleGateway(config: GatewayConfig, options: GatewayOptions, started: Started): Promise<Gateway> {
  const { log } = options;
  const metrics = options.metrics ?? new GatewayMetrics();
  // Shared state first: a Redis that cannot be reached is logged and retried in the background, never a reason not to start.
  const redis = config.redis === undefined ? undefined : await import('./store/redis/index.js');
  const shared = redis && config.redis && (await redis.openSharedState(config.redis, log));
  started.shared = shared;
  const changes = redis && shared && new redis.ChangeBus(shared, log);
  const maxBufferedRows = config.store.maxBufferedRows ?? DEFAULT_LEDGER_MAX_BUFFERED_ROWS;
  const whenFull = config.store.whenFull ?? DEFAULT_LEDGER_WHEN_FULL;
  // Each throws, naming the store, when it cannot be opened or written (PostgreSQL: reached and migrated).
  const store = await openStore(config.store, {
    postgresLedger: options.postgresLedger,
    onConnectionError: (error) => log.warn({ err: error }, 'a connection to the PostgreSQL store failed; the pool opens another when needed'),
  });
  started.store = store;
  const ledger = store.openLedger({ maxBufferedRows, ...ledgerReporting(log, metrics, maxBufferedRows, whenFull) });
  started.ledger = ledger;
  metrics.ledgerBuffered = () => ledger.pending();
  const notifications = openNotifications({ config: config.notifications, openStore: () => store.openNotifications(), log, metrics });
  started.notifications = notifications;
  const ledgerPolicies: RequestPolicy[] = whenFull === 'refuse' ? [new LedgerAdmission(ledger, log)] : [];
  const prices = new PriceBook(config.pricing.models, config.pricing.useDefaults);
  // After the store: a store that cannot be written stops the start before any provider holds a resource.
  const providers = await createProviders(config.providers, { onWarning: (message) => log.warn(message) });
  started.providers = providers;
  // Routes, providers and the configuration as served: a reload swaps them (see server/live-config.ts).
  const live = new LiveConfig({ config, router: new Router(config.models, providers), providers }, log);
  const reloadMetrics = new ReloadMetrics(metrics.registry);
  reloadMetrics.loaded(Date.now());
  // Budgets shared by the replicas through Redis when it is configured (or the caller provides a book); else this process's own.
  const sharedBudgets: SharedBudgetBookFactory | undefined =
    options.sharedBudgets ??
    (redis && shared && config.redis
      ? (deps) => new redis.RedisBudgetBook({ redis: shared.client, keyPrefix: shared.prefix, whenUnavailable: shared.whenUnavailable, holdTtlMs: config.redis!.holdTtlMs, timeoutMs: config.redis!.commandTimeoutMs, ...deps })
      : undefined);
  const sharedBook = sharedBudgets?.({ spentSince: (ref, since) => spentSinceOf(ledger, ref, since), listener: notifications.budgetListener, log });
  started.sharedBook = sharedBook;
  const budgets = openBudgets(config, ledger, prices, () => live.router, metrics, log, notifications.budgetListener, sharedBook);
  metrics.seedTodayCost(await ledger.todayCostByTenant());
  const tenancyStore = store.openTenancy();
  started.tenancyStore = tenancyStore;
  const tenancy = await Tenancy.open({
    store: tenancyStore,
    auth: config.auth,
    tenants: config.tenants,
    onConfigOverride: (name) => log.warn({ tenant: name }, `tenant '${name}' is declared in the configuration and was changed through the admin API: the configuration's settings apply`),
    ...(changes === undefined ? {} : { onChange: (change: TenancyChange) => changes.publish(change) }),
  });
  await changes?.start(tenancy);

  // Every budget in the store (tenants' and keys'), whether or not a call used it since the start.
  metrics.budgetStatuses = async () => Promise.all((await tenancy.listBudgets()).map(({ ref }) => budgets.status(ref)));
  // Calls in flight, so that the replicas left write a ledger row for each call of one that dies.
  const journal =
    redis && shared && config.redis
      ? new redis.CallJournal({
          client: shared.client,
          prefix: shared.prefix,
          replica: replicaId(),
          ledger,
          heartbeatMs: config.redis.heartbeatMs,
          deadAfterMs: config.redis.deadAfterMs,
          onSwept: (replica, calls) => log.warn({ replica, calls: calls.length }, `replica ${replica} stopped without shutting down: its ${calls.length} calls in flight are in the ledger with status lost`),
          onError: (error) => log.debug({ err: error }, 'the call journal could not reach Redis; it tries again with the next heartbeat'),
        })
      : undefined;
  const clock = options.clock ?? systemClock;
  const feed = new RequestFeed();
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
    // Read at each call: a reload's routes serve from the next call on.
    get router() {
      return live.router;
    },
    authenticator: options.authenticator ?? tenancy.authenticator,
    // The ledger's refusal first: a call it refuses reaches no other policy.
    // Budgets after rate limits: a call a rate limit refuses reserves nothing.
    // The live configuration first: it counts each call against the configuration it was routed with.
    policies: [live, ...ledgerPolicies, redis && shared ? new redis.RedisRateLimiter({ shared, log }) : new RateLimiter(), budgets, ...(options.policies ?? [])],
    tokens: { outputCounter: outputTokenCounter, estimateUsage },
    observers: [
      createMeteringObserver({
        metrics,
        prices,
        unpriced: new UnpricedWarnings((provider, model) =>
          log.warn({ provider, model }, `no price for model '${model}' on provider '${provider}': it is costed at 0 (add it under pricing.models)`),
        ),
        ledger,
        log,
        onRecord: feed.publish,
      }),
      ...(journal === undefined ? [] : [journal]),
      ...(options.observers ?? []),
    ],
    streamKeepaliveMs: config.server.streamKeepaliveMs,
    upstreamReplyLimitBytes: config.server.upstreamReplyLimitBytes,
    streamOutputLimit: config.server.streamOutputLimitBytes ?? DEFAULT_STREAM_OUTPUT_LIMIT_BYTES,
    metrics,
    validateStreams: options.validateStreams ?? false,
  });
  const bodyLimit = config.server.bodyLimitBytes;
  const route = (entries: ReadonlyArray<readonly [string, Handler]>): ReadonlyMap<string, Handler> => new Map(entries);
  // While the gateway drains, a request on a connection still open is refused with 503 (and the connection closed).
  const work =
    (handler: Handler): Handler =>
    (req, res, ctx) => {
      if (!shutdown.draining) return handler(req, res, ctx);
      const refusal = new ServerShuttingDownError(false);
      ctx.log.info({ code: refusal.code, status: refusal.status }, 'refused a request: the gateway is shutting down');
      sendError(res, refusal, { 'x-request-id': ctx.requestId });
    };
  const routes: Routes = new Map([
    ['/v1/chat/completions', route([['POST', work(createCompletionsHandler('openai-chat', pipeline, bodyLimit))]])],
    ['/chat/completions', route([['POST', work(createCompletionsHandler('openai-chat', pipeline, bodyLimit))]])],
    ['/v1/responses', route([['POST', work(createCompletionsHandler('openai-responses', pipeline, bodyLimit))]])],
    ['/responses', route([['POST', work(createCompletionsHandler('openai-responses', pipeline, bodyLimit))]])],
    ['/v1/models', route([['GET', createModelsHandler(pipeline, Math.floor(Date.now() / 1000))]])],
    ['/healthz', route([['GET', handleHealthz]])],
    ['/metrics', route([['GET', createMetricsHandler(metrics)]])],
    ['/readyz', route([['GET', createReadyzHandler(() => [storeCheck(store, ledger), ...(shared ? [redisCheck(shared)] : []), ...[...live.providers.values()].map(providerCheck)], () => shutdown.started, () => states.snapshot())]])],
  ]);

  // The console is a client of the admin API: without an admin token neither exists.
  const consoleEnabled = config.auth.adminToken !== undefined;
  const consoleAssets = consoleEnabled ? loadConsoleAssets(options.consoleDirectory ?? defaultConsoleDirectory()) : undefined;
  if (consoleEnabled && consoleAssets === undefined) log.warn('the web console is not built (no dist/console/index.html): /console/ answers 503 until `npm run build` has run');
  const server = createApp({
    routes,
    log,
    limits: { ...config.server, maxConnections: clientConnectionLimit(config, openFileLimit()) },
    prefixes: [
      [ADMIN_PREFIX, createAdminHandler({ adminToken: config.auth.adminToken, tenancy, ledger, budgetStatus: (ref) => budgets.status(ref), feed, routes: () => routesView(live.config, states.snapshot()) })],
      [CONSOLE_PREFIX, createConsoleHandler({ enabled: consoleEnabled, assets: consoleAssets })],
    ],
    onResponse: (method, path, status, seconds) => metrics.observeHttp(method, path, status, seconds),
    onRefused: (reason) => metrics.connectionsRefused.inc({ reason }),
    closing: () => shutdown.started,
  });
  const shutdown = new Shutdown({ server, pipeline, log, delayMs: config.server.shutdownDelayMs, graceMs: config.server.shutdownGraceMs });
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(listenFailure(host, port, error));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  // Now, before anything is served (connections wait in the backlog), not at the first estimate, when it would stall
  // every stream in flight; after the listen, so that a start-up failure stays fast.
  preloadEncodings(config.models.flatMap((m) => m.route.map((d) => d.model)));
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  // Once serving: a start that fails has nothing to stop. Each summary's id is stored, so a restart sends none twice.
  const summaries = config.notifications.dailySummary === undefined ? undefined : startDailySummaries({ ledger, notifier: notifications.notifier, config, now: Date.now, log });

  journal?.start();

  let closing: Promise<void> | undefined;
  function close(closeOptions: { readonly now?: boolean } = {}): Promise<void> {
    if (closeOptions.now === true) shutdown.hurry();
    closing ??= (async () => {
      summaries?.stop();
      await shutdown.run();
      // Every call has ended: nothing of this replica is left for others to sweep.
      await journal?.stop().catch((error: unknown) => log.warn({ err: error }, 'leaving the call journal failed; the other replicas will sweep this one after redis.dead_after'));
      await live.close();
      // After the calls have settled: its last settles are sent (or left to expire).
      await sharedBook?.close().catch((error: unknown) => log.error({ err: error }, 'closing the shared budget book failed'));
      // After the calls have settled (their alerts are stored), before the ledger.
      await notifications.close().catch((error: unknown) => log.error({ err: error }, 'closing the notifications failed'));
      // Every finished request's row is written before the process goes.
      await ledger.close();
      tenancy.close();
      await tenancyStore.close();
      await store.close();
      await shared?.close();
    })();
    return closing;
  }

  const reloader = new Reloader({
    live,
    log,
    metrics: reloadMetrics,
    prices,
    tenancy,
    states,
    providerDeps: { onWarning: (message) => log.warn(message) },
    shuttingDown: () => shutdown.started,
  });
  // One SIGHUP (or a changed file seen by one replica) reloads every replica: each reads its own file again.
  const { loadConfig } = options;
  if (changes !== undefined && loadConfig !== undefined) {
    changes.onReloadAnnounced(() => {
      log.info('another replica reloaded its configuration: reloading this one');
      void reloader.reload(loadConfig);
    });
  }


  return {
    url,
    server,
    get config() {
      return live.config;
    },
    get router() {
      return live.router;
    },
    get providers() {
      return live.providers;
    },
    metrics,
    ledger,
    tenancy,
    feed,
    budgets,
    notifier: notifications.notifier,
    shared,
    close,
    reload: async (load) => {
      const outcome = await reloader.reload(load);
      if (outcome.result === 'ok') changes?.announceReload();
      return outcome;
    },
  };
}

import { parseArgs } from 'node:util';
import { ConfigError, describeRoutes, EMBEDDED_SOURCE, loadConfig } from '../config/index.js';
import type { GatewayConfig } from '../config/index.js';
import { StartupError } from '../errors/index.js';
import { startGateway } from '../gateway.js';
import { createLogger } from '../telemetry/logger.js';
import { httpBackend, storeBackend, type AdminBackend } from './admin-backend.js';
import { ADMIN_USAGE, adminFailure, runAdminCommand, type AdminFlags } from './admin-commands.js';
import { codexConfigBlock } from './codex-config.js';
import { runMigrate } from './migrate-command.js';
import { watchConfigFile } from './config-watch.js';
import { REPORT_USAGE } from './report-command.js';
import { VERSION } from './version.js';

const USAGE = `Tollgate ${VERSION} — one OpenAI-compatible endpoint in front of many models

Usage:
  tollgate start [--config FILE] [--port N] [--host H] [--demo] [--watch-config]
  tollgate check-config [--config FILE] [--demo]
  tollgate codex-config [--config FILE] [--model NAME] [--demo]
  tollgate migrate [--config FILE]
  tollgate tenants|keys|usage|report …   (see below)
  tollgate --version | --help

Without --config, TOLLGATE_CONFIG names the file; without either, the embedded
default serves OpenAI (when OPENAI_API_KEY is set) and Ollama at 127.0.0.1:11434.
--demo adds the built-in simulated model 'tollgate-demo' (no upstream needed).
migrate applies the store's schema steps this release adds (start does too).
SIGHUP reloads the configuration file (routes, providers, prices, tenants, log
level, resilience); --watch-config also reloads it whenever its content changes.

${ADMIN_USAGE}`;

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  demo: { type: 'boolean' },
  'watch-config': { type: 'boolean' },
  model: { type: 'string', short: 'm' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  // Tenants, keys and usage.
  url: { type: 'string' },
  json: { type: 'boolean' },
  tenant: { type: 'string' },
  name: { type: 'string' },
  models: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  expires: { type: 'string' },
  metadata: { type: 'string' },
  grace: { type: 'string' },
  key: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'group-by': { type: 'string' },
  // Billing reports.
  period: { type: 'string' },
  date: { type: 'string' },
  timezone: { type: 'string' },
  format: { type: 'string' },
  // Budgets and guardrails of tenants and keys (see cost-control-flags.ts).
  budget: { type: 'string', multiple: true },
  'no-budgets': { type: 'boolean' },
  'max-output-tokens': { type: 'string' },
  'max-prompt-tokens': { type: 'string' },
  'clamp-min-output-tokens': { type: 'string' },
  downgrade: { type: 'string', multiple: true },
  'chat-refusal-status': { type: 'string' },
  'no-guardrails': { type: 'boolean' },
} as const;

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('the command line', [{ path: '--port', message: `must be an integer between 0 and 65535, got '${text}'` }]);
  }
  return port;
}

/** Runs the CLI; resolves to the process exit code (start resolves only on shutdown). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? (values.help ? 'help' : undefined);
  if (command === 'report' && values.help) {
    io.out(REPORT_USAGE);
    return 0;
  }
  if (command === undefined || command === 'help' || values.help) {
    io.out(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }

  if (command === 'tenants' || command === 'keys' || command === 'usage' || command === 'report') return await admin(command, positionals.slice(1), values, io);

  try {
    const load = (): GatewayConfig => loadConfig({ path: values.config, env: io.env, demo: values.demo === true });
    const config = load();
    switch (command) {
      case 'check-config':
        io.out(`Configuration OK (${config.source})\n\n${describeRoutes(config)}\n`);
        return 0;
      case 'codex-config':
        io.out(codexConfigBlock(config, { model: values.model, host: values.host, port: parsePort(values.port) }));
        return 0;
      case 'migrate':
        return await migrateCommand(config.store, io);
      case 'start':
        return await serve(config, { host: values.host, port: parsePort(values.port) }, io.env['TOLLGATE_VALIDATE_STREAMS'] === '1', io, { load, watch: values['watch-config'] === true });
      default:
        io.err(`Unknown command '${command}'.\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function migrateCommand(store: Parameters<typeof runMigrate>[0], io: Io): Promise<number> {
  try {
    io.out(await runMigrate(store));
    return 0;
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    io.err(`tollgate: ${error.message}\n`);
    return 1;
  }
}

async function admin(command: string, args: readonly string[], values: AdminFlags & { readonly url?: string | undefined; readonly config?: string | undefined }, io: Io): Promise<number> {
  let backend: AdminBackend | undefined;
  try {
    backend = values.url !== undefined ? httpBackend(values.url, io.env['TOLLGATE_ADMIN_TOKEN']) : await storeBackend(loadConfig({ path: values.config, env: io.env, demo: false }), {}, (text) => io.err(text));
    io.out(await runAdminCommand(backend, command, args, values));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    const message = adminFailure(error);
    if (message === undefined) throw error;
    io.err(`tollgate: ${message}\n`);
    return 1;
  } finally {
    await backend?.close();
  }
}

async function serve(
  config: Parameters<typeof startGateway>[0],
  listen: { host: string | undefined; port: number | undefined },
  validateStreams: boolean,
  io: Io,
  reloading: { readonly load: () => GatewayConfig; readonly watch: boolean },
): Promise<number> {
  const log = createLogger(config.logging);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config, { log, host: listen.host, port: listen.port, validateStreams, loadConfig: reloading.load });
  } catch (error) {
    // One line that says what failed and what to do; the details (cause, stack) go to the debug log.
    log.debug({ err: error }, 'start-up failed');
    // What was logged before the failure (provider warnings) must not stay in the buffer.
    log.flush();
    const message = error instanceof StartupError ? error.message : `start-up failed: ${error instanceof Error ? error.message : String(error)}`;
    io.err(`tollgate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
  log.info(
    { url: gateway.url, config: config.source, models: gateway.router.advertisedNames(), providers: config.providers.map((p) => `${p.name} (${p.kind})`) },
    `Tollgate listening on ${gateway.url}/v1`,
  );
  // Log lines are buffered into 4 KiB writes; flush now and then so they are never more than a second late.
  log.flush();
  const flusher = setInterval(() => log.flush(), 1_000);
  flusher.unref();
  // SIGHUP (and, with --watch-config, a changed file) reloads; the outcome is logged by the gateway.
  const reload = (): void => {
    void gateway.reload(reloading.load).finally(() => log.flush());
  };
  process.on('SIGHUP', reload);
  const source = gateway.config.source;
  const watcher =
    reloading.watch && gateway.config.source !== EMBEDDED_SOURCE
      ? watchConfigFile(source, reload, { onError: (error) => log.warn({ err: error, config: source }, 'watching the configuration file failed; reload with SIGHUP') })
      : undefined;
  if (reloading.watch && watcher === undefined) log.warn('--watch-config needs a configuration file (--config or TOLLGATE_CONFIG); reload with SIGHUP');
  return await new Promise<number>((resolve) => {
    let signals = 0;
    // The first signal drains (see server/shutdown.ts); a second one ends the calls still open at once.
    const stop = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, 'second signal: ending the calls still in flight now');
        void gateway.close({ now: true });
        return;
      }
      log.info({ signal, delay_ms: gateway.config.server.shutdownDelayMs, grace_ms: gateway.config.server.shutdownGraceMs }, 'shutting down');
      log.flush();
      const finish = (code: number): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('SIGHUP', reload);
        watcher?.close();
        clearInterval(flusher);
        log.flush();
        resolve(code);
      };
      gateway.close().then(
        () => {
          log.info('shut down');
          finish(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          finish(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// Tollgate with a policy that watches every call: the bench's `tollgate-watch` target.
//
//   node bench/tollgate-watch.mjs --config FILE [--dist DIR]
//
// Policies can only be given programmatically (`startGateway(config, { policies })`), so this
// does what `tollgate start --config FILE` does (src/cli/main.ts: load the YAML, log as the CLI
// logs, listen on the configured address, shut down on SIGTERM/SIGINT) with one policy added:
// it admits every call with a stream hook that always answers 'continue'. Watching makes
// pass-through streams decode every event and count output tokens with the tokenizer; the
// difference from the `tollgate` target is the price of that.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    dist: { type: 'string', default: new URL('../dist', import.meta.url).pathname },
  },
});
if (args.config === undefined) {
  process.stderr.write('usage: node bench/tollgate-watch.mjs --config FILE [--dist DIR]\n');
  process.exit(2);
}

const dist = resolve(args.dist);
const load = (module) => import(pathToFileURL(join(dist, module)).href);
const [{ loadConfig }, { startGateway }, { createLogger }] = await Promise.all([load('config/index.js'), load('gateway.js'), load('telemetry/logger.js')]);

/** Watches every call and never intervenes: a hook per call, as a real policy keeps per-call state. */
const watchEverything = {
  name: 'bench-watch-all',
  admit() {
    return {
      hook: {
        onOutput() {
          return 'continue';
        },
      },
    };
  },
};

const config = loadConfig({ path: args.config, env: process.env });
const log = createLogger(config.logging);
let gateway;
try {
  gateway = await startGateway(config, { log, policies: [watchEverything], validateStreams: process.env.TOLLGATE_VALIDATE_STREAMS === '1' });
} catch (error) {
  log.flush();
  throw error;
}
log.info(
  { url: gateway.url, config: config.source, models: gateway.router.advertisedNames(), providers: config.providers.map((p) => `${p.name} (${p.kind})`), policies: [watchEverything.name] },
  `Tollgate (every call watched) listening on ${gateway.url}/v1`,
);
log.flush();
const flusher = setInterval(() => log.flush(), 1_000);
flusher.unref();

function stop(signal) {
  log.info({ signal }, 'shutting down');
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  clearInterval(flusher);
  gateway.close().then(
    () => {
      log.flush();
      process.exitCode = 0;
    },
    (error) => {
      log.error({ err: error }, 'shutdown failed');
      log.flush();
      process.exitCode = 1;
    },
  );
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

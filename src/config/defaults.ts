/**
 * The embedded default, used when no configuration file is given: OpenAI when
 * OPENAI_API_KEY is set, Ollama at OLLAMA_HOST (or 127.0.0.1:11434), and with
 * `--demo` the built-in simulated model. It is built as ordinary input and
 * resolved by the same schema as a file, so defaults cannot drift apart.
 */
import { ConfigError } from './errors.js';
import { configErrorMap, issuesToProblems } from './issues.js';
import { configSchema, modelSchema, providerSchema } from './schema.js';
import type { GatewayConfig, ModelConfig, ProviderConfig } from './types.js';

export const EMBEDDED_SOURCE = 'embedded default';

export const DEMO_PROVIDER_NAME = 'demo';
export const DEMO_MODEL_NAME = 'tollgate-demo';
export const DEMO_MODEL_ALIAS = 'demo';

/** Context windows of the OpenAI models the default exposes, from OpenAI's model pages. */
const OPENAI_MODELS: readonly { readonly name: string; readonly contextWindow: number }[] = [
  { name: 'gpt-4.1', contextWindow: 1_047_576 },
  { name: 'gpt-4.1-mini', contextWindow: 1_047_576 },
  { name: 'gpt-4o-mini', contextWindow: 128_000 },
  { name: 'o4-mini', contextWindow: 200_000 },
];

const DEMO_PROVIDER_INPUT = { name: DEMO_PROVIDER_NAME, kind: 'mock', latency: 0, tokens_per_second: 0 } as const;

const DEMO_MODEL_INPUT = {
  name: DEMO_MODEL_NAME,
  aliases: [DEMO_MODEL_ALIAS],
  route: [`${DEMO_PROVIDER_NAME}/${DEMO_MODEL_NAME}`],
  description: 'Built-in simulated model: answers instantly, streams in several chunks, needs no upstream',
} as const;

/** The built-in simulated provider that `--demo` adds. */
export function demoProvider(): ProviderConfig {
  return providerSchema.parse(DEMO_PROVIDER_INPUT, { error: configErrorMap });
}

/** The model that `--demo` adds, routed to {@link demoProvider}. */
export function demoModel(): ModelConfig {
  return modelSchema.parse(DEMO_MODEL_INPUT, { error: configErrorMap });
}

export function defaultConfig(env: NodeJS.ProcessEnv, options: { demo: boolean }): GatewayConfig {
  const providers: Record<string, unknown>[] = [];
  const exact: Record<string, unknown>[] = [];
  const wildcards: Record<string, unknown>[] = [];

  if (options.demo) {
    providers.push({ ...DEMO_PROVIDER_INPUT });
    exact.push({ ...DEMO_MODEL_INPUT, aliases: [...DEMO_MODEL_INPUT.aliases], route: [...DEMO_MODEL_INPUT.route] });
  }

  const openaiKey = env.OPENAI_API_KEY;
  if (openaiKey !== undefined && openaiKey.trim() !== '') {
    providers.push({ name: 'openai', kind: 'openai', api_key: openaiKey.trim() });
    for (const model of OPENAI_MODELS) {
      exact.push({ name: model.name, route: [`openai/${model.name}`], context_window: model.contextWindow });
    }
    wildcards.push({ name: 'openai/*', route: ['openai/*'], description: 'Any OpenAI model, by its OpenAI name' });
  }

  const ollamaUrl = ollamaBaseUrl(env.OLLAMA_HOST);
  if (!URL.canParse(ollamaUrl) || !/^https?:\/\//.test(ollamaUrl)) {
    throw new ConfigError(EMBEDDED_SOURCE, [
      { path: '', message: 'OLLAMA_HOST: expected host, host:port or an http(s) URL such as http://127.0.0.1:11434 (the value is not shown)' },
    ]);
  }
  providers.push({ name: 'ollama', kind: 'ollama', base_url: ollamaUrl });
  exact.push({ name: 'gpt-oss:20b', route: ['ollama/gpt-oss:20b'], context_window: 131_072 });
  wildcards.push({ name: 'ollama/*', route: ['ollama/*'], description: 'Any model pulled into the local Ollama, by its Ollama name' });

  const result = configSchema.safeParse({ providers, models: [...exact, ...wildcards] }, { error: configErrorMap });
  if (!result.success) throw new ConfigError(EMBEDDED_SOURCE, issuesToProblems(result.error.issues, undefined));
  return { ...result.data, source: EMBEDDED_SOURCE };
}

/**
 * The Ollama base URL from OLLAMA_HOST, read the way the Ollama CLI reads it
 * (envconfig.Host in ollama/ollama): quotes and spaces trimmed; `host`,
 * `host:port`, `:port`, `[v6]:port` or a full URL; no scheme means http and
 * port 11434; an explicit http/https scheme defaults to port 80/443; a bad
 * port falls back to the default. Like Ollama's client, an unspecified bind
 * address (0.0.0.0, ::, empty) is replaced by loopback so it can be dialled.
 */
export function ollamaBaseUrl(hostVar: string | undefined): string {
  const value = (hostVar ?? '').trim().replace(/^["']+|["']+$/g, '').trim();
  let scheme = 'http';
  let hostport = value;
  let defaultPort = '11434';
  const separator = value.indexOf('://');
  if (separator >= 0) {
    scheme = value.slice(0, separator);
    hostport = value.slice(separator + 3);
    if (scheme === 'http') defaultPort = '80';
    else if (scheme === 'https') defaultPort = '443';
  } else if (value === 'ollama.com') {
    scheme = 'https';
    hostport = 'ollama.com:443';
  }
  const slash = hostport.indexOf('/');
  const path = slash >= 0 ? hostport.slice(slash + 1) : '';
  if (slash >= 0) hostport = hostport.slice(0, slash);

  let host: string;
  let port: string;
  const split = splitHostPort(hostport);
  if (split !== undefined) {
    ({ host, port } = split);
  } else {
    host = hostport === '' ? '127.0.0.1' : hostport.replace(/^\[|\]$/g, '');
    port = defaultPort;
  }
  const portNumber = /^\d+$/.test(port) ? Number(port) : Number.NaN;
  if (!(portNumber >= 0 && portNumber <= 65535)) port = defaultPort;

  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::' || host === '0:0:0:0:0:0:0:0') host = '::1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `${scheme}://${hostPart}:${port}${path === '' ? '' : `/${path}`}`;
  return url.replace(/\/+$/, '');
}

/** Go's net.SplitHostPort: `host:port` or `[v6]:port`; undefined when there is no port. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0 || hostport[close + 1] !== ':') return undefined;
    return { host: hostport.slice(1, close), port: hostport.slice(close + 2) };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0 || hostport.indexOf(':') !== colon) return undefined;
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

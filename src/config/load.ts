/**
 * Loading: YAML text → document (with positions) → `${VAR}` interpolation →
 * schema → cross-checks → a frozen `GatewayConfig`. Every problem found on the
 * way is collected, so one run reports all of them.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { crossCheck } from './crosscheck.js';
import { DEMO_MODEL_NAME, DEMO_PROVIDER_NAME, defaultConfig, demoModel, demoProvider } from './defaults.js';
import { ConfigError, formatPath, sortProblems, type ConfigProblem } from './errors.js';
import { interpolateDocument } from './interpolate.js';
import { configErrorMap, issuesToProblems } from './issues.js';
import { createLocator, type Locator } from './locate.js';
import { configSchema } from './schema.js';
import type { GatewayConfig } from './types.js';

export interface LoadConfigOptions {
  /** Configuration file; when absent, `env.TOLLGATE_CONFIG`, else the embedded default. */
  readonly path?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Add the built-in simulated model (`tollgate start --demo`). */
  readonly demo?: boolean;
}

/** Guards against alias bombs: a few anchors must not expand into gigabytes. */
const MAX_ALIAS_COUNT = 1000;

export function loadConfig(options: LoadConfigOptions): GatewayConfig {
  const fromEnv = options.env.TOLLGATE_CONFIG;
  const path = options.path ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : undefined);
  const demo = options.demo ?? false;
  if (path === undefined) return deepFreeze(defaultConfig(options.env, { demo }));

  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const origin = options.path === undefined ? ' (named by TOLLGATE_CONFIG)' : '';
    throw new ConfigError(path, [{ path: '', message: `cannot read the configuration file${origin}: ${describeReadError(err)}` }]);
  }
  const config = parseConfigText(text, path, options.env);
  return demo ? deepFreeze(withDemo(config)) : config;
}

function describeReadError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Parses and validates configuration text; `sourceName` names it in errors and in `source`. */
export function parseConfigText(text: string, sourceName: string, env: NodeJS.ProcessEnv): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locator = createLocator(doc, lineCounter);

  if (doc.errors.length > 0) throw new ConfigError(sourceName, syntaxProblems(doc.errors, text, locator));

  const problems: ConfigProblem[] = [];
  const interpolated = new Set<string>();
  for (const problem of interpolateDocument(doc, env)) {
    const path = formatPath(problem.path);
    interpolated.add(path);
    const position = locator.at(problem.offset);
    problems.push({ path, message: problem.message, ...(position === undefined ? {} : { line: position.line, col: position.col }) });
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(sourceName, [...problems, { path: '', message: `YAML error: ${message}` }]);
  }

  const result = configSchema.safeParse(value, { error: configErrorMap });
  if (!result.success) {
    // A value emptied by a missing variable is already reported; its schema
    // complaint (e.g. "expected a non-empty string") would only repeat it.
    problems.push(...issuesToProblems(result.error.issues, locator).filter((p) => !interpolated.has(p.path)));
  }
  problems.push(...crossCheck(value, locator));

  if (problems.length > 0 || !result.success) throw new ConfigError(sourceName, sortProblems(problems));
  return deepFreeze({ ...result.data, source: sourceName });
}

/** After the first syntax error the parser often trips over the rest of the line; a few are enough. */
const MAX_SYNTAX_PROBLEMS = 3;

function syntaxProblems(errors: readonly YAMLError[], text: string, locator: Locator): ConfigProblem[] {
  // The tree of a malformed document is unreliable, so only the syntax is reported.
  const problems = errors.slice(0, MAX_SYNTAX_PROBLEMS).map((error): ConfigProblem => {
    const position = locator.at(error.pos[0]);
    return { path: '', message: `YAML syntax error: ${withoutSource(error.message)}`, ...(position === undefined ? {} : { line: position.line, col: position.col }) };
  });
  const first = errors[0];
  if (first !== undefined) {
    const lineStart = text.lastIndexOf('\n', first.pos[0] - 1) + 1;
    const lineEnd = text.indexOf('\n', first.pos[0]);
    const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
    // `{ key: ${VAR} }` is the usual culprit: '{' and '}' are flow indicators in YAML.
    if (line.includes('${')) problems.push({ path: '', message: 'hint: inside { … } or [ … ], quote values that contain ${…}, e.g. { api_key: "${KEY}" }' });
  }
  if (errors.length > MAX_SYNTAX_PROBLEMS) problems.push({ path: '', message: `${errors.length - MAX_SYNTAX_PROBLEMS} more syntax errors not shown (usually consequences of the first)` });
  return problems;
}

/**
 * Some parser messages quote the offending source text, which may be a
 * secret written inline; the line and column already point at it.
 */
function withoutSource(message: string): string {
  const quoted = message.indexOf(': "');
  if (quoted >= 0) return message.slice(0, quoted);
  return message.startsWith('Block scalar header includes extra characters') ? 'Block scalar header includes extra characters' : message;
}

/** Adds the demo provider and model to a file's configuration when their names are free. */
function withDemo(config: GatewayConfig): GatewayConfig {
  const taken = new Set(config.models.flatMap((m) => [m.name, ...m.aliases]));
  if (config.providers.some((p) => p.name === DEMO_PROVIDER_NAME) || taken.has(DEMO_MODEL_NAME)) return config;
  const model = demoModel();
  return {
    ...config,
    providers: [...config.providers, demoProvider()],
    models: [...config.models, { ...model, aliases: model.aliases.filter((a) => !taken.has(a)) }],
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

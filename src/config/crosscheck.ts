/**
 * Checks that span several entries: unique names, routes that point at
 * configured providers, wildcards used consistently. They run on the
 * interpolated input even when the schema found problems elsewhere, so one
 * run reports everything; entries the schema rejects are skipped here.
 */
import { closestMatch, formatPath, type ConfigProblem, type PathSegment } from './errors.js';
import type { Locator } from './locate.js';
import { splitRoute } from './routes.js';

type Entry = Readonly<Record<string, unknown>>;

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? (value as readonly unknown[]) : [];
}

export function crossCheck(input: unknown, locator: Locator | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const where = (path: readonly PathSegment[]): string => {
    const position = locator?.locate(path);
    return position === undefined ? formatPath(path) : `${formatPath(path)}, line ${position.line}`;
  };
  const add = (path: readonly PathSegment[], message: string): void => {
    const position = locator?.locate(path);
    problems.push({ path: formatPath(path), message, ...(position === undefined ? {} : { line: position.line, col: position.col }) });
  };
  if (!isEntry(input)) return problems;

  const providers = checkProviderNames(input.providers, add, where);
  checkModels(input.models, Array.isArray(input.providers) ? providers : undefined, add, where);
  return problems;
}

type Add = (path: readonly PathSegment[], message: string) => void;
type Where = (path: readonly PathSegment[]) => string;

/** Returns the provider names, in order, without duplicates. */
function checkProviderNames(providers: unknown, add: Add, where: Where): string[] {
  const first = new Map<string, readonly PathSegment[]>();
  list(providers).forEach((provider, index) => {
    if (!isEntry(provider) || typeof provider.name !== 'string') return;
    const path = ['providers', index, 'name'];
    const earlier = first.get(provider.name);
    if (earlier === undefined) first.set(provider.name, path);
    else add(path, `duplicate provider name '${provider.name}' (first defined at ${where(earlier)}); provider names must be unique`);
  });
  return [...first.keys()];
}

function checkModels(models: unknown, providers: readonly string[] | undefined, add: Add, where: Where): void {
  const names = new Map<string, readonly PathSegment[]>();
  const claim = (name: string, path: readonly PathSegment[]): void => {
    const earlier = names.get(name);
    if (earlier === undefined) names.set(name, path);
    else add(path, `'${name}' is already used at ${where(earlier)}; model names and aliases must be unique across all models`);
  };
  list(models).forEach((model, index) => {
    if (!isEntry(model)) return;
    const name = typeof model.name === 'string' ? model.name : undefined;
    if (name !== undefined) claim(name, ['models', index, 'name']);
    list(model.aliases).forEach((alias, aliasIndex) => {
      if (typeof alias === 'string') claim(alias, ['models', index, 'aliases', aliasIndex]);
    });
    list(model.route).forEach((entry, routeIndex) => {
      checkRouteEntry(entry, ['models', index, 'route', routeIndex], name, providers, add);
    });
  });
}

function checkRouteEntry(
  entry: unknown,
  path: readonly PathSegment[],
  modelName: string | undefined,
  providers: readonly string[] | undefined,
  add: Add,
): void {
  let provider: unknown;
  let model: unknown;
  let providerPath = path;
  let modelPath = path;
  if (typeof entry === 'string') {
    const split = splitRoute(entry);
    if (split === undefined) return;
    ({ provider, model } = split);
  } else if (isEntry(entry)) {
    provider = entry.provider;
    model = entry.model;
    providerPath = [...path, 'provider'];
    modelPath = [...path, 'model'];
  } else {
    return;
  }
  if (typeof provider === 'string' && providers !== undefined && !providers.includes(provider)) {
    const guess = closestMatch(provider, providers);
    const hint = guess === undefined ? '' : ` — did you mean '${guess}'?`;
    const known = providers.length === 0 ? 'no providers are configured' : `configured providers: ${providers.join(', ')}`;
    add(providerPath, `unknown provider '${provider}'${hint} (${known})`);
  }
  if (typeof model === 'string' && model.includes('*') && modelName !== undefined && !modelName.includes('*')) {
    add(modelPath, `a '*' in the upstream model is only allowed when the model name has a '*' wildcard (e.g. name: "ollama/*", route: ["local/*"])`);
  }
}

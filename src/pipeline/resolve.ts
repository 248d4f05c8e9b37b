import { ModelNotAllowedError, ModelNotFoundError } from '../errors/index.js';
import type { ResolvedRoute, Router } from '../routing/router.js';
import type { Principal } from './contracts.js';
import { matchesModelPattern, modelAllowed } from './principal.js';

/** The names the principal may use, as the gateway advertises them (concrete names, aliases, wildcard patterns). */
export function namesFor(principal: Principal, names: readonly string[]): string[] {
  const scopes = principal.modelScopes;
  if (scopes.length === 0) return [...names];
  // A wildcard route is listed when the caller may use some name it matches: its pattern then appears in each scope.
  return names.filter((name) => modelAllowed(principal, name) || scopes.every((scope) => scope.some((pattern) => pattern === name || matchesModelPattern(name, pattern))));
}

/**
 * The resolve stage: the model name to its route, among the models the
 * principal may use. A caller is never told of models it may not use: an
 * unknown name lists only its own, a forbidden one is a 403.
 */
export function resolveRoute(router: Router, principal: Principal, model: string): ResolvedRoute {
  if (!modelAllowed(principal, model)) {
    // Unknown and forbidden look alike to the caller: both list only what it may use.
    const mine = namesFor(principal, router.advertisedNames());
    if (!router.has(model)) throw new ModelNotFoundError(model, mine);
    throw new ModelNotAllowedError(model, mine);
  }
  try {
    return router.resolve(model);
  } catch (error) {
    if (error instanceof ModelNotFoundError && principal.modelScopes.length > 0) throw new ModelNotFoundError(model, namesFor(principal, router.advertisedNames()));
    throw error;
  }
}

import type { Authenticator, ModelScope, Principal } from './contracts.js';

/** The caller when no authentication is configured: every model, tenant `default`. */
export const DEFAULT_PRINCIPAL: Principal = Object.freeze({ tenant: 'default', keyId: undefined, modelScopes: [], rateLimits: [], budgets: [], guardrails: [] });

/** Lets every caller in as the default principal (the zero-configuration gateway). */
export const openAuthenticator: Authenticator = {
  authenticate: () => DEFAULT_PRINCIPAL,
};

/** Whether `name` matches `pattern`, where `*` stands for any run of characters. */
export function matchesModelPattern(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = name.indexOf(parts[i]!, at);
    if (found < 0 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

/** Whether `name` matches some pattern of `scope`. */
export function scopeAllows(scope: ModelScope, name: string): boolean {
  for (const pattern of scope) if (matchesModelPattern(pattern, name)) return true;
  return false;
}

/** Whether the principal may use the model the client named (its name as sent, alias or pattern). */
export function modelAllowed(principal: Principal, name: string): boolean {
  for (const scope of principal.modelScopes) if (!scopeAllows(scope, name)) return false;
  return true;
}

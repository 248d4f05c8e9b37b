/**
 * The authenticate stage for virtual keys: `Authorization: Bearer tg_…` or
 * `x-api-key: tg_…` → the key's tenant, model scopes and rate limits. On a
 * cache hit it answers synchronously (no promise on the hot path); on a miss
 * it asks the store once per key id at a time.
 *
 * While authentication is off (no tenants, no keys, no auth settings) every
 * caller is the `default` tenant, whatever key it sends: the zero-setup
 * gateway keeps working with clients that insist on sending some key.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AuthConfig } from '../config/types.js';
import { AuthenticationError } from '../errors/index.js';
import type { GuardrailsConfig } from '../config/types.js';
import type { Authenticator, Principal, RateLimit, RequestHeaders } from '../pipeline/contracts.js';
import { DEFAULT_PRINCIPAL } from '../pipeline/principal.js';
import { BudgetRefs } from './budget-refs.js';
import type { KeyDirectory, KeyEntry } from './key-directory.js';
import type { TenantRecord } from './records.js';
import { parseKey, sameSecret, secretMatches, type ParsedKey } from './virtual-key.js';

export const TENANT_HEADER = 'x-tollgate-tenant';
/** A cached key whose secret did not match is read again from the store after this long. */
const RECHECK_AFTER_MS = 1_000;
const MAX_RECHECKS = 10_000;
export const PROXY_SECRET_HEADER = 'x-tollgate-proxy-secret';

export interface KeyAuthenticatorOptions {
  readonly directory: KeyDirectory;
  readonly auth: AuthConfig;
  /** Whether authentication is on (see Tenancy.enforced). */
  readonly enforced: () => boolean;
  readonly now?: () => number;
  /** Where principals get their budget refs (shared with the tenant principals built elsewhere). */
  readonly budgetRefs?: BudgetRefs;
}

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The key a client sent, if any: a Bearer token, or `x-api-key`. */
export function presentedKey(headers: RequestHeaders): string | undefined {
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const token = authorization.slice(space + 1).trim();
      if (token !== '') return token;
    }
  }
  const apiKey = header(headers, 'x-api-key')?.trim();
  return apiKey === '' ? undefined : apiKey;
}

function tenantLimit(tenant: TenantRecord): RateLimit | undefined {
  return tenant.rpm === undefined && tenant.tpm === undefined ? undefined : { scope: 'tenant', id: tenant.name, rpm: tenant.rpm, tpm: tenant.tpm };
}

const present = (guardrails: GuardrailsConfig | undefined): guardrails is GuardrailsConfig => guardrails !== undefined;

/** The principal of a tenant with no key (trusted proxy, anonymous callers): the tenant's limits, budgets and guardrails. */
export function tenantPrincipal(tenant: TenantRecord, budgetRefs: BudgetRefs): Principal {
  const limit = tenantLimit(tenant);
  return Object.freeze({
    tenant: tenant.name,
    keyId: undefined,
    modelScopes: tenant.models ? [tenant.models] : [],
    rateLimits: limit ? [limit] : [],
    budgets: budgetRefs.ofTenant(tenant),
    guardrails: [tenant.guardrails].filter(present),
  });
}

/** A key's principal: the key's settings first, then its tenant's (the budget policy and guardrails read them in this order). */
function keyPrincipal(entry: KeyEntry, tenant: TenantRecord, budgetRefs: BudgetRefs): Principal {
  const { key } = entry;
  const scopes = [tenant.models, key.models].filter((scope): scope is readonly string[] => scope !== undefined);
  const limits: RateLimit[] = [];
  if (key.rpm !== undefined || key.tpm !== undefined) limits.push({ scope: 'key', id: key.id, rpm: key.rpm, tpm: key.tpm });
  const ofTenant = tenantLimit(tenant);
  if (ofTenant) limits.push(ofTenant);
  const ofKey = budgetRefs.ofKey(key);
  const budgets = ofKey.length === 0 ? budgetRefs.ofTenant(tenant) : [...ofKey, ...budgetRefs.ofTenant(tenant)];
  return Object.freeze({ tenant: tenant.name, keyId: key.id, modelScopes: scopes, rateLimits: limits, budgets, guardrails: [key.guardrails, tenant.guardrails].filter(present) });
}

export class KeyAuthenticator implements Authenticator {
  /** One principal per cached entry: built once, not per request. */
  private readonly principals = new WeakMap<KeyEntry, Principal>();
  /** One principal per cached tenant record (trusted proxy). */
  private readonly tenantPrincipals = new WeakMap<TenantRecord, Principal>();
  private readonly budgetRefs: BudgetRefs;
  /** The current secret of each cached entry, once a request proved it (see currentSecret). */
  private readonly verified = new WeakMap<KeyEntry, Buffer>();
  /** When each key was last read again because a secret did not match its cached entry. */
  private readonly rechecks = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly options: KeyAuthenticatorOptions,
    /** Who an unauthenticated caller is once authentication is on (auth.anonymous_tenant). */
    private readonly anonymous: () => Principal | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.budgetRefs = options.budgetRefs ?? new BudgetRefs();
  }

  authenticate(headers: RequestHeaders): Principal | Promise<Principal> {
    const proxySecret = this.options.auth.trustedProxy?.secret;
    if (proxySecret !== undefined) {
      const tenant = header(headers, TENANT_HEADER);
      const presented = header(headers, PROXY_SECRET_HEADER);
      // The tenant header counts only with the proxy's secret; without it, it is ignored.
      if (tenant !== undefined && presented !== undefined && sameSecret(presented, proxySecret)) return this.proxied(tenant);
    }
    const text = presentedKey(headers);
    if (!this.options.enforced()) {
      // Open gateway: a Tollgate key still identifies its tenant when it is valid; anything else is `default`.
      if (text === undefined || parseKey(text) === undefined) return DEFAULT_PRINCIPAL;
    }
    if (text === undefined) {
      const anonymous = this.anonymous();
      if (anonymous) return anonymous;
      throw new AuthenticationError('missing');
    }
    const parsed = parseKey(text);
    if (parsed === undefined) throw new AuthenticationError('malformed');
    const { directory } = this.options;
    const hit = directory.cached(parsed.publicId);
    if (hit === undefined) return directory.load(parsed.publicId).then((entry) => this.check(parsed, entry));
    if (hit.entry === undefined) return this.check(parsed, hit.entry);
    try {
      return this.check(parsed, hit.entry);
    } catch (error) {
      if (!(error instanceof AuthenticationError) || error.reason !== 'unknown') throw error;
      const now = this.now();
      const last = this.rechecks.get(parsed.publicId);
      if (last !== undefined && now - last < RECHECK_AFTER_MS) throw error;
      if (this.rechecks.size >= MAX_RECHECKS) this.rechecks.clear();
      this.rechecks.set(parsed.publicId, now);
      // A secret the cached entry does not know may be a rotation made elsewhere (another replica, the CLI on the
      // store): the key is read again, at most once a second, so a wrong secret cannot send every request to the store.
      return directory.load(parsed.publicId).then((entry) => this.check(parsed, entry));
    }
  }

  private check(parsed: ParsedKey, entry: KeyEntry | undefined): Principal {
    if (entry === undefined) throw new AuthenticationError('unknown');
    const { key, tenant } = entry;
    const now = this.now();
    if (!this.currentSecret(entry, parsed.secret)) {
      const previous = key.previousSecretHash !== undefined && secretMatches(parsed.secret, key.previousSecretHash);
      if (!previous) throw new AuthenticationError('unknown');
      if (key.previousValidUntil === undefined || key.previousValidUntil <= now) throw new AuthenticationError('rotated');
    }
    // Checked after the secret: a guessed id learns nothing about the key's state.
    if (key.revokedAt !== undefined) throw new AuthenticationError('revoked');
    if (key.expiresAt !== undefined && key.expiresAt <= now) throw new AuthenticationError('expired');
    if (tenant === undefined) throw new AuthenticationError('unknown');
    let principal = this.principals.get(entry);
    if (principal === undefined) {
      principal = keyPrincipal(entry, tenant, this.budgetRefs);
      this.principals.set(entry, principal);
    }
    return principal;
  }

  /**
   * Whether `secret` is the key's current secret. The first match is hashed
   * (SHA-256, about a microsecond); the secret is then remembered for the
   * cached entry and later requests compare against it in constant time.
   */
  private currentSecret(entry: KeyEntry, secret: string): boolean {
    const presented = Buffer.from(secret);
    const known = this.verified.get(entry);
    if (known !== undefined && known.length === presented.length && timingSafeEqual(known, presented)) return true;
    if (!secretMatches(secret, entry.key.secretHash)) return false;
    this.verified.set(entry, presented);
    return true;
  }

  private async proxied(name: string): Promise<Principal> {
    const tenant = await this.options.directory.tenant(name);
    if (tenant === undefined) throw new AuthenticationError('unknown_tenant');
    let principal = this.tenantPrincipals.get(tenant);
    if (principal === undefined) {
      principal = tenantPrincipal(tenant, this.budgetRefs);
      this.tenantPrincipals.set(tenant, principal);
    }
    return principal;
  }
}

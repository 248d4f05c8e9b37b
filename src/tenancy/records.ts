/**
 * What the tenancy store holds: tenants and their virtual keys. Plain data,
 * shared by the store implementations (SQLite today, PostgreSQL next), the
 * admin API and the CLI.
 */
import type { BudgetConfig, GuardrailsConfig } from '../config/types.js';

/** Free-form labels an operator attaches (owner, cost centre, …): a JSON object. */
export type Metadata = Readonly<Record<string, unknown>>;

/** Requests and tokens per minute; undefined for no limit at that level. */
export interface RateLimits {
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
}

/** Spending limits and cost guardrails of a tenant or a key. */
export interface CostControls {
  /** At most one per period (day, month); empty for none. */
  readonly budgets: readonly BudgetConfig[];
  readonly guardrails: GuardrailsConfig | undefined;
}

export interface TenantRecord extends RateLimits, CostControls {
  readonly name: string;
  /** Model-name patterns the tenant may use (`*` matches any run); undefined for every model. */
  readonly models: readonly string[] | undefined;
  readonly metadata: Metadata;
  /** Where the tenant is declared: the YAML configuration (it wins) or the admin API. */
  readonly source: 'config' | 'api';
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface KeyRecord extends RateLimits, CostControls {
  /** The public id: the `<public id>` of `tg_<public id>_<secret>`. */
  readonly id: string;
  readonly tenant: string;
  readonly name: string | undefined;
  /** Narrows the tenant's models (a key never widens them); undefined for the tenant's. */
  readonly models: readonly string[] | undefined;
  /** Epoch milliseconds after which the key is refused; undefined for never. */
  readonly expiresAt: number | undefined;
  readonly metadata: Metadata;
  readonly createdAt: number;
  readonly revokedAt: number | undefined;
  /** The last four characters of the current key, to tell keys apart in listings. */
  readonly lastFour: string;
  /** SHA-256 (hex) of the current secret. */
  readonly secretHash: string;
  /** After a rotation: the previous secret's hash, valid until `previousValidUntil` (epoch ms). */
  readonly previousSecretHash: string | undefined;
  readonly previousValidUntil: number | undefined;
}

export interface TenantChanges {
  readonly models?: readonly string[] | null;
  readonly rpm?: number | null;
  readonly tpm?: number | null;
  readonly metadata?: Metadata;
  /** Replaces the whole list; null (or an empty list) clears it. */
  readonly budgets?: readonly BudgetConfig[] | null;
  /** Replaces the whole object; null clears it. */
  readonly guardrails?: GuardrailsConfig | null;
}

/** A change to a key: only the fields given change; null clears a setting. */
export interface KeyChanges {
  readonly name?: string | null;
  readonly models?: readonly string[] | null;
  readonly rpm?: number | null;
  readonly tpm?: number | null;
  /** Epoch milliseconds. */
  readonly expiresAt?: number | null;
  readonly metadata?: Metadata;
  readonly budgets?: readonly BudgetConfig[] | null;
  readonly guardrails?: GuardrailsConfig | null;
}

/**
 * The store behind tenancy. Asynchronous so that a networked store can
 * implement it; the request path never waits for it on a cache hit.
 */
export interface TenancyStore {
  listTenants(): Promise<TenantRecord[]>;
  getTenant(name: string): Promise<TenantRecord | undefined>;
  /** Throws TenancyConflictError when the name is taken. */
  insertTenant(tenant: TenantRecord): Promise<void>;
  /** Inserts or replaces a tenant declared in the configuration. */
  upsertTenant(tenant: TenantRecord): Promise<void>;
  updateTenant(name: string, changes: TenantChanges, at: number): Promise<TenantRecord | undefined>;
  insertKey(key: KeyRecord): Promise<void>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  listKeys(filter: { readonly tenant?: string | undefined }): Promise<KeyRecord[]>;
  /** Whether any key exists (revoked ones included): authentication turns on with the first. */
  hasKeys(): Promise<boolean>;
  /** Changes a key's settings (never its secret or its state); undefined when there is no such key. */
  updateKey(id: string, changes: KeyChanges): Promise<KeyRecord | undefined>;
  /** Revokes a key (idempotent: a second revocation keeps the first time). */
  revokeKey(id: string, at: number): Promise<KeyRecord | undefined>;
  /** Replaces the secret; the previous one stays valid until `previousValidUntil`. */
  rotateKey(id: string, secret: { readonly hash: string; readonly lastFour: string }, previousValidUntil: number): Promise<KeyRecord | undefined>;
  close(): Promise<void>;
}

export class TenancyConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenancyConflictError';
  }
}

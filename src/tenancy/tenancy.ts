/**
 * Tenants and virtual keys: the operations of the admin API and the CLI, the
 * tenants declared in the configuration, and whether authentication is on.
 * Every change made here reaches this process's key cache at once, and is
 * told (onChange) so other replicas can drop theirs (applyChange).
 */
import type { AuthConfig, BudgetConfig, GuardrailsConfig, TenantConfig } from '../config/types.js';
import { GatewayError } from '../errors/index.js';
import type { BudgetRef, Principal } from '../pipeline/contracts.js';
import { KeyAuthenticator, tenantPrincipal } from './authenticator.js';
import { BudgetRefs } from './budget-refs.js';
import { guardrailsText, budgetsText, StoredSettingsError } from './cost-controls.js';
import { KeyDirectory, type KeyDirectoryOptions } from './key-directory.js';
import type { KeyChanges, KeyRecord, Metadata, TenancyStore, TenantChanges, TenantRecord } from './records.js';
import { TenancyConflictError } from './records.js';
import type { TenancyChange } from './changes.js';
import { formatKey, hashSecret, lastFour, newPublicId, newSecret } from './virtual-key.js';

export class TenancyNotFoundError extends GatewayError {
  constructor(what: 'tenant' | 'key', name: string) {
    super(404, 'invalid_request_error', 'not_found', `No ${what} '${name}'. List them with \`tollgate ${what === 'tenant' ? 'tenants' : 'keys'} list\` or GET /admin/v1/${what === 'tenant' ? 'tenants' : 'keys'}.`);
  }
}

export class TenancyConflict extends GatewayError {
  constructor(message: string) {
    super(409, 'invalid_request_error', 'conflict', message);
  }
}

export interface NewTenant {
  readonly name: string;
  readonly models?: readonly string[] | undefined;
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  readonly metadata?: Metadata | undefined;
  readonly budgets?: readonly BudgetConfig[] | undefined;
  readonly guardrails?: GuardrailsConfig | undefined;
}

export interface NewKey {
  readonly tenant: string;
  readonly name?: string | undefined;
  readonly models?: readonly string[] | undefined;
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  /** Epoch milliseconds. */
  readonly expiresAt?: number | undefined;
  readonly metadata?: Metadata | undefined;
  readonly budgets?: readonly BudgetConfig[] | undefined;
  readonly guardrails?: GuardrailsConfig | undefined;
}

/** A budget as the admin API lists it: whose it is, and the tenant it counts under. */
export interface ListedBudget {
  readonly ref: BudgetRef;
  /** The key's id for a key's budget; undefined for a tenant's. */
  readonly keyId: string | undefined;
}

/** A key as issued: the record, and the key itself (shown this once, never stored). */
export interface IssuedKey {
  readonly record: KeyRecord;
  readonly key: string;
}

export interface TenancyOptions {
  readonly store: TenancyStore;
  readonly auth: AuthConfig;
  readonly tenants: readonly TenantConfig[];
  readonly now?: () => number;
  readonly cache?: KeyDirectoryOptions;
  /** Told of each configured tenant that replaced settings made through the admin API. */
  readonly onConfigOverride?: (tenant: string) => void;
  /** How often a running gateway re-reads whether any key exists (keys made by the CLI on the store directly). */
  readonly refreshMs?: number;
  /** Told of every change made here, after it is stored (other replicas learn of it through this). */
  readonly onChange?: (change: TenancyChange) => void;
}

function sameSettings(a: TenantRecord, b: TenantConfig): boolean {
  const settings = (t: TenantRecord | TenantConfig) => JSON.stringify([t.models ?? null, t.rpm ?? null, t.tpm ?? null, t.metadata, budgetsText(t.budgets ?? []), guardrailsText(t.guardrails)]);
  return settings(a) === settings(b);
}

export class Tenancy {
  readonly directory: KeyDirectory;
  readonly authenticator: KeyAuthenticator;
  /** The budget refs of every principal and listing: one object per budget while its settings stay the same. */
  readonly budgetRefs = new BudgetRefs();
  private readonly now: () => number;
  /** The tenants the configuration declares (replaced by a reload). */
  private configured: ReadonlySet<string>;
  private anonymous: Principal | undefined;
  /** When the anonymous tenant's stored settings last changed, as last read (its principal is rebuilt only on a change). */
  private anonymousUpdatedAt: number | undefined;
  /** Whether the store held a key when last asked (or one was made here since). */
  private keysExist = false;
  private refresher: NodeJS.Timeout | undefined;

  private constructor(private readonly options: TenancyOptions) {
    this.now = options.now ?? Date.now;
    this.configured = new Set(options.tenants.map((t) => t.name));
    this.directory = new KeyDirectory(options.store, { now: this.now, ...options.cache });
    this.authenticator = new KeyAuthenticator({ directory: this.directory, auth: options.auth, enforced: () => this.enforced(), now: this.now, budgetRefs: this.budgetRefs }, () => this.anonymous);
  }

  /** Writes the configured tenants into the store (the configuration wins) and learns whether keys exist. */
  static async open(options: TenancyOptions): Promise<Tenancy> {
    const tenancy = new Tenancy(options);
    await tenancy.syncConfiguredTenants(options.tenants);
    await tenancy.refreshKeysExist();
    const refreshMs = options.refreshMs ?? 5_000;
    if (refreshMs > 0) {
      tenancy.refresher = setInterval(() => {
        void tenancy.refreshKeysExist().catch(() => undefined);
        // A change to the anonymous tenant made by the CLI on the store reaches this process within the interval.
        void tenancy.reloadAnonymous().catch(() => undefined);
      }, refreshMs);
      tenancy.refresher.unref();
    }
    return tenancy;
  }

  /**
   * Authentication is on as soon as anything asks for it: tenants or auth
   * settings in the configuration, or a key in the store. Until then the
   * gateway is open, as tenant `default`.
   */
  enforced(): boolean {
    const { auth } = this.options;
    return this.keysExist || this.configured.size > 0 || auth.adminToken !== undefined || auth.anonymousTenant !== undefined || auth.trustedProxy !== undefined;
  }

  close(): void {
    if (this.refresher) clearInterval(this.refresher);
  }

  /**
   * The tenants of a reloaded configuration: written to the store (the
   * configuration wins, as at a start), and every cached key resolved again
   * from its next request on (calls in flight keep the settings they started
   * with). A tenant no longer declared keeps its last settings in the store
   * and can be changed through the admin API again.
   */
  async reconfigure(tenants: readonly TenantConfig[]): Promise<void> {
    await this.syncConfiguredTenants(tenants);
    this.configured = new Set(tenants.map((t) => t.name));
    this.directory.invalidateAll();
  }

  // ------------------------------------------------------------ tenants

  listTenants(): Promise<TenantRecord[]> {
    return this.options.store.listTenants();
  }

  async getTenant(name: string): Promise<TenantRecord> {
    const tenant = await this.options.store.getTenant(name);
    if (!tenant) throw new TenancyNotFoundError('tenant', name);
    return tenant;
  }

  async createTenant(input: NewTenant): Promise<TenantRecord> {
    const at = this.now();
    const tenant: TenantRecord = {
      name: input.name,
      models: input.models,
      rpm: input.rpm,
      tpm: input.tpm,
      metadata: input.metadata ?? {},
      source: 'api',
      createdAt: at,
      updatedAt: at,
      budgets: input.budgets ?? [],
      guardrails: input.guardrails,
    };
    try {
      await this.options.store.insertTenant(tenant);
    } catch (error) {
      if (error instanceof TenancyConflictError) throw new TenancyConflict(`A tenant named '${input.name}' already exists. Change it with PATCH /admin/v1/tenants/${input.name}.`);
      throw error;
    }
    this.directory.invalidateAll();
    this.refreshAnonymous(tenant);
    this.options.onChange?.({ kind: 'tenant', op: 'created', name: tenant.name });
    return tenant;
  }

  async updateTenant(name: string, changes: TenantChanges): Promise<TenantRecord> {
    if (this.configured.has(name)) throw new TenancyConflict(`Tenant '${name}' is declared in the configuration file: change it there (the file wins at every start).`);
    const tenant = await this.options.store.updateTenant(name, changes, this.now());
    if (!tenant) throw new TenancyNotFoundError('tenant', name);
    this.directory.invalidateAll();
    this.refreshAnonymous(tenant);
    this.options.onChange?.({ kind: 'tenant', op: 'updated', name });
    return tenant;
  }

  // ------------------------------------------------------------ keys

  async createKey(input: NewKey): Promise<IssuedKey> {
    await this.getTenant(input.tenant);
    const id = newPublicId();
    const secret = newSecret();
    const key = formatKey(id, secret);
    const record: KeyRecord = {
      id,
      tenant: input.tenant,
      name: input.name,
      models: input.models,
      rpm: input.rpm,
      tpm: input.tpm,
      expiresAt: input.expiresAt,
      metadata: input.metadata ?? {},
      createdAt: this.now(),
      revokedAt: undefined,
      lastFour: lastFour(key),
      secretHash: hashSecret(secret),
      previousSecretHash: undefined,
      previousValidUntil: undefined,
      budgets: input.budgets ?? [],
      guardrails: input.guardrails,
    };
    await this.options.store.insertKey(record);
    this.keysExist = true;
    this.directory.invalidate(id);
    this.options.onChange?.({ kind: 'key', op: 'created', id });
    return { record, key };
  }

  listKeys(tenant?: string): Promise<KeyRecord[]> {
    return this.options.store.listKeys({ tenant });
  }

  async getKey(id: string): Promise<KeyRecord> {
    const key = await this.options.store.getKey(id);
    if (!key) throw new TenancyNotFoundError('key', id);
    return key;
  }

  /**
   * Changes a key's settings; on this process from its next request on. A
   * revoked key is refused (409): it can never be used again, and a change
   * would suggest otherwise.
   */
  async updateKey(id: string, changes: KeyChanges): Promise<KeyRecord> {
    const current = await this.getKey(id);
    if (current.revokedAt !== undefined) throw new TenancyConflict(`Key '${id}' is revoked; its settings no longer matter. Create a new key instead.`);
    const key = await this.options.store.updateKey(id, changes);
    this.directory.invalidate(id);
    if (!key) throw new TenancyNotFoundError('key', id);
    this.options.onChange?.({ kind: 'key', op: 'updated', id });
    return key;
  }

  /**
   * Every budget of every tenant (or of one) and of its keys that are not
   * revoked: the tenant's first, then each key's, in the order keys were made.
   */
  async listBudgets(tenant?: string): Promise<ListedBudget[]> {
    const tenants = tenant === undefined ? await this.listTenants() : [await this.options.store.getTenant(tenant)].filter((t): t is TenantRecord => t !== undefined);
    const keysOf = new Map<string, KeyRecord[]>();
    for (const key of await this.listKeys(tenant)) {
      if (key.revokedAt !== undefined || key.budgets.length === 0) continue;
      const ofTenant = keysOf.get(key.tenant);
      if (ofTenant === undefined) keysOf.set(key.tenant, [key]);
      else ofTenant.push(key);
    }
    const listed: ListedBudget[] = [];
    for (const t of tenants) {
      for (const ref of this.budgetRefs.ofTenant(t)) listed.push({ ref, keyId: undefined });
      for (const key of keysOf.get(t.name) ?? []) for (const ref of this.budgetRefs.ofKey(key)) listed.push({ ref, keyId: key.id });
    }
    return listed;
  }

  /** Revokes a key: refused from now on, on this process at once. */
  async revokeKey(id: string): Promise<KeyRecord> {
    const key = await this.options.store.revokeKey(id, this.now());
    this.directory.invalidate(id);
    if (!key) throw new TenancyNotFoundError('key', id);
    this.options.onChange?.({ kind: 'key', op: 'revoked', id });
    return key;
  }

  /** A new secret for the key; the old one keeps working for `graceMs`. */
  async rotateKey(id: string, graceMs: number): Promise<IssuedKey> {
    const current = await this.getKey(id);
    if (current.revokedAt !== undefined) throw new TenancyConflict(`Key '${id}' is revoked; create a new key instead of rotating it.`);
    const secret = newSecret();
    const key = formatKey(id, secret);
    const record = await this.options.store.rotateKey(id, { hash: hashSecret(secret), lastFour: lastFour(key) }, this.now() + graceMs);
    this.directory.invalidate(id);
    if (!record) throw new TenancyNotFoundError('key', id);
    this.options.onChange?.({ kind: 'key', op: 'rotated', id });
    return { record, key };
  }

  // ------------------------------------------------------------ changes made elsewhere

  /** A change another replica made: what this process cached of it is read again on next use. */
  applyChange(change: TenancyChange): void {
    if (change.kind === 'key') {
      this.directory.invalidate(change.id);
      if (change.op === 'created') this.keysExist = true;
      return;
    }
    // Every key of the tenant may have changed with it.
    this.directory.invalidateAll();
    if (change.name === this.options.auth.anonymousTenant) void this.reloadAnonymous().catch(() => undefined);
  }

  /** Forgets every cached key and tenant (changes may have been missed: a message bus that was down). */
  dropCaches(): void {
    this.directory.invalidateAll();
  }

  // ------------------------------------------------------------ internals

  private async syncConfiguredTenants(tenants: readonly TenantConfig[]): Promise<void> {
    const at = this.now();
    for (const declared of tenants) {
      const existing = await this.readReplaceable(declared.name);
      if (existing?.source === 'api' && !sameSettings(existing, declared)) this.options.onConfigOverride?.(declared.name);
      const tenant: TenantRecord = {
        name: declared.name,
        models: declared.models,
        rpm: declared.rpm,
        tpm: declared.tpm,
        metadata: declared.metadata,
        budgets: declared.budgets ?? [],
        guardrails: declared.guardrails,
        source: 'config',
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      };
      await this.options.store.upsertTenant(tenant);
      this.refreshAnonymous(tenant);
    }
  }

  /** A tenant the configuration is about to replace: a stored value that cannot be read is replaced, not a reason to stop. */
  private async readReplaceable(name: string): Promise<TenantRecord | undefined> {
    try {
      return await this.options.store.getTenant(name);
    } catch (error) {
      if (error instanceof StoredSettingsError) return undefined;
      throw error;
    }
  }

  private refreshAnonymous(tenant: TenantRecord): void {
    if (tenant.name === this.options.auth.anonymousTenant) this.anonymous = tenantPrincipal(tenant, this.budgetRefs);
  }

  private async reloadAnonymous(): Promise<void> {
    const name = this.options.auth.anonymousTenant;
    if (name === undefined || this.configured.has(name)) return;
    const tenant = await this.options.store.getTenant(name);
    if (tenant !== undefined && tenant.updatedAt !== this.anonymousUpdatedAt) {
      this.anonymousUpdatedAt = tenant.updatedAt;
      this.refreshAnonymous(tenant);
    }
  }

  private async refreshKeysExist(): Promise<void> {
    if (this.keysExist) return;
    this.keysExist = await this.options.store.hasKeys();
  }
}

/**
 * The request path's view of keys and tenants: a lookup by public id that
 * answers from memory, so an authenticated request costs no store round
 * trip. Entries live for a short time (a change made on another replica, or
 * by the CLI writing the store directly, is seen within that time); a change
 * made through this process invalidates its entry at once. Unknown ids are
 * remembered too, more briefly, so a client retrying a bad key does not reach
 * the store on every request. The map is bounded: the oldest entries go first.
 */
import { KeyStoreUnavailableError } from '../errors/index.js';
import type { KeyRecord, TenancyStore, TenantRecord } from './records.js';

export interface KeyEntry {
  readonly key: KeyRecord;
  /** Undefined when the key's tenant no longer exists (the key is then refused). */
  readonly tenant: TenantRecord | undefined;
}

export interface KeyDirectoryOptions {
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
  /**
   * While the store cannot be read, a key read from it less than this long
   * ago is answered from memory, though its entry has expired: a store outage
   * does not lock out the callers of the moment. (Changes announced over the
   * change bus still remove entries at once.)
   */
  readonly staleIfErrorMs?: number;
  readonly now?: () => number;
}

export interface Cached {
  readonly entry: KeyEntry | undefined;
  readonly until: number;
  /** When the entry was read from the store. */
  readonly loadedAt: number;
}

export class KeyDirectory {
  private readonly cache = new Map<string, Cached>();
  private readonly tenants = new Map<string, { readonly tenant: TenantRecord | undefined; readonly until: number }>();
  private readonly pending = new Map<string, Promise<KeyEntry | undefined>>();
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly staleIfErrorMs: number;
  private readonly now: () => number;
  /** Bumped by invalidations, so a lookup that started before one does not store a stale answer. */
  private generation = 0;

  constructor(
    private readonly store: TenancyStore,
    options: KeyDirectoryOptions = {},
  ) {
    this.positiveTtlMs = options.positiveTtlMs ?? 10_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.staleIfErrorMs = options.staleIfErrorMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The cached entry when it is fresh (the request path's synchronous answer); undefined on a miss. */
  cached(id: string): Cached | undefined {
    const hit = this.cache.get(id);
    if (hit === undefined || hit.until <= this.now()) return undefined;
    return hit;
  }

  /** Looks the key up in the store (once per id at a time), caching the answer. */
  load(id: string): Promise<KeyEntry | undefined> {
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const lookup = (async () => {
      try {
        let entry: KeyEntry | undefined;
        try {
          const key = await this.store.getKey(id);
          entry = key && { key, tenant: await this.store.getTenant(key.tenant) };
        } catch (error) {
          // Expired entries stay in the map (bounded) for this: a key seen recently is still answered.
          const stale = this.cache.get(id);
          if (stale?.entry !== undefined && this.now() - stale.loadedAt <= this.staleIfErrorMs) return stale.entry;
          throw new KeyStoreUnavailableError({ cause: error });
        }
        if (generation === this.generation) this.remember(id, entry);
        return entry;
      } finally {
        this.pending.delete(id);
      }
    })();
    this.pending.set(id, lookup);
    return lookup;
  }

  /** A tenant by name (for a trusted proxy naming it), cached like keys. */
  async tenant(name: string): Promise<TenantRecord | undefined> {
    const hit = this.tenants.get(name);
    if (hit !== undefined && hit.until > this.now()) return hit.tenant;
    const generation = this.generation;
    const tenant = await this.store.getTenant(name);
    if (generation === this.generation) {
      if (this.tenants.size >= this.maxEntries) this.tenants.clear();
      this.tenants.set(name, { tenant, until: this.now() + (tenant ? this.positiveTtlMs : this.negativeTtlMs) });
    }
    return tenant;
  }

  invalidate(id: string): void {
    this.generation++;
    this.cache.delete(id);
  }

  /** After a tenant changed: every key of it may have. */
  invalidateAll(): void {
    this.generation++;
    this.cache.clear();
    this.tenants.clear();
  }

  private remember(id: string, entry: KeyEntry | undefined): void {
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    const now = this.now();
    this.cache.set(id, { entry, until: now + (entry ? this.positiveTtlMs : this.negativeTtlMs), loadedAt: now });
  }
}

/**
 * The budgets of several gateway replicas, kept in Redis: every reservation,
 * growth and settle is one atomic script (budget-scripts.ts), so the limit
 * holds across replicas as it holds across calls in one process.
 *
 * - Holds expire: each has a TTL (default 2 minutes), renewed by every growth
 *   and by a heartbeat every TTL/3 while the call runs, so the holds of a
 *   replica that died are freed a TTL after its last heartbeat.
 * - Seeding: the first step that finds a budget's period not yet seeded reads
 *   the owner's spend from the (shared) ledger and seeds it, once across all
 *   replicas (HSETNX); the step is then run again.
 * - Redis unreachable (an error, a command not answered within `timeoutMs`,
 *   or a client reconnecting): `fail_closed` refuses the call with 503
 *   `budget_store_unavailable`; `fail_open` serves it on an in-process book of
 *   this replica (fresh for each outage, seeded from the ledger; logged once
 *   per outage). Settles that cannot be sent are queued and sent again in the
 *   background, so the shared spend catches up with the ledger.
 * - Settles are not on the answer's path: those asked for in one event-loop
 *   turn are sent together on the next, as one script call (settle-batch.ts).
 *
 * The client is given (its connection, retries and reconnects are the
 * caller's); it must not have a `keyPrefix` of its own: keys are prefixed here.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BudgetBook, type Reservation } from '../../budgets/budget-book.js';
import type { BudgetHold, BudgetListener, BudgetRef, BudgetStatus, BudgetStore, BudgetView, Growth, ReserveResult } from '../../budgets/budget-store.js';
import { BudgetStoreUnavailableError } from '../../errors/index.js';
import { BUDGET_SCRIPTS, type LuaScript } from './budget-scripts.js';
import { keysOf, Places, Snapshot, type Place } from './budget-keys.js';
import { SettleBatcher } from './settle-batch.js';
import { SettleRetryQueue } from './budget-settle-queue.js';

export type WhenBudgetStoreUnavailable = 'fail_closed' | 'fail_open';

export const DEFAULT_HOLD_TTL_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 1_000;
const DEFAULT_MAX_QUEUED_SETTLES = 10_000;
/** Settles per script call at most: a script blocks Redis while it runs (a few µs per settle). */
const MAX_SETTLES_PER_CALL = 256;
/** A step is tried again this many times after seeding (a period's keys that expired between two steps). */
const SEED_ATTEMPTS = 3;

export interface RedisBudgetBookOptions {
  readonly redis: Redis;
  /** Prepended to every key (`tollgate:` → `tollgate:budget:{team}:tenant:team:day:1767225600000`). */
  readonly keyPrefix: string;
  readonly whenUnavailable: WhenBudgetStoreUnavailable;
  /** USD a budget's owner spent since `sinceMs`, from the ledger the replicas share. */
  readonly spentSince: (ref: BudgetRef, sinceMs: number) => Promise<number>;
  readonly log: Logger;
  readonly listener?: BudgetListener;
  readonly now?: () => number;
  /** How long a hold outlives the last sign of its call (a growth or a heartbeat). */
  readonly holdTtlMs?: number;
  /** A command not answered within this counts as the store being unreachable. */
  readonly timeoutMs?: number;
  readonly maxQueuedSettles?: number;
}

/** A settle, as its batch sends it and as the retry queue sends it again: a hold's release (`holdKeys`) and a booking (`bookKeys`), with their script arguments. */
interface QueuedSettle {
  readonly id: string;
  readonly holdPairs: number;
  readonly keys: readonly string[];
  readonly actualUsd: number;
  readonly at: number;
  readonly expireAts: readonly number[];
}

/** Ioredis statuses in which a command would only wait in its offline queue: fail at once. */
const OFFLINE = new Set(['reconnecting', 'close', 'end']);

/** Redis failed a step: it was not sent (the client is reconnecting), or it was and no answer came (or an error did). */
class Unreachable extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class RedisBudgetBook implements BudgetStore {
  private readonly redis: Redis;
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly places: Places;
  /** Hold ids: this book's random id and a counter. */
  private readonly replica = randomBytes(6).toString('base64url');
  private sequence = 0;
  /** The holds of calls in flight, renewed by the heartbeat. */
  private readonly live = new Set<SharedHold>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Seeds in flight, by budget key: concurrent first steps wait for the same ledger read. */
  private readonly seedsInFlight = new Map<string, Promise<void>>();
  /** The numbers last known of every budget seen (what `statuses()` lists). */
  private readonly known = new Map<string, BudgetStatus>();
  private readonly retries: SettleRetryQueue<QueuedSettle>;
  private readonly batches: SettleBatcher<QueuedSettle, unknown[]>;
  /** Settles not yet sent or answered (close() waits for them). */
  private readonly settling = new Set<Promise<void>>();
  private settleCalls = 0;
  /** While Redis is unreachable (fail_open): this replica's own book, fresh for each outage. */
  private fallbackBook: BudgetBook | undefined;
  private down = false;

  constructor(private readonly options: RedisBudgetBookOptions) {
    this.redis = options.redis;
    this.now = options.now ?? Date.now;
    this.ttlMs = options.holdTtlMs ?? DEFAULT_HOLD_TTL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.places = new Places(options.keyPrefix);
    this.retries = new SettleRetryQueue<QueuedSettle>({
      capacity: options.maxQueuedSettles ?? DEFAULT_MAX_QUEUED_SETTLES,
      send: (entry) => this.sendSettles([entry]).then(() => undefined),
      onDropped: (entry) => options.log.error({ actual_usd: entry.actualUsd }, 'a budget settle waiting for Redis was dropped (the queue is full): the shared budgets undercount it'),
    });
    this.batches = new SettleBatcher<QueuedSettle, unknown[]>({ maxBatch: MAX_SETTLES_PER_CALL, send: (entries) => this.sendSettles(entries) });
  }

  /** Script calls that carried settles (a batch, or one settle sent again), for metrics and tests. */
  get settleScriptCalls(): number {
    return this.settleCalls;
  }

  /** Settles waiting to be sent again. */
  get queuedSettles(): number {
    return this.retries.length;
  }

  /** Sends the queued settles now; resolves when they are all sent, or one failed. */
  flushSettles(): Promise<void> {
    return this.retries.drain();
  }

  async view(refs: readonly BudgetRef[]): Promise<BudgetView> {
    const at = this.now();
    const places = this.placesOf(refs, at);
    try {
      const reply = await this.seeded(refs, places, BUDGET_SCRIPTS.read, [at]);
      return this.remember(Snapshot.read(refs, places, reply, 2));
    } catch (error) {
      return (await this.localBook(error, refs)).view();
    }
  }

  async status(ref: BudgetRef): Promise<BudgetStatus> {
    return (await this.view([ref])).status(ref);
  }

  statuses(): BudgetStatus[] {
    return [...this.known.values()];
  }

  async reserve(refs: readonly BudgetRef[], amountUsd: number): Promise<ReserveResult> {
    const at = this.now();
    const places = this.placesOf(refs, at);
    const id = `${this.replica}.${(this.sequence++).toString(36)}`;
    const args: (string | number)[] = [at, id, amountUsd, at + this.ttlMs];
    for (let i = 0; i < refs.length; i++) args.push(refs[i]!.config.limitUsd, places[i]!.expireAt);
    let reply: unknown[];
    try {
      reply = await this.seeded(refs, places, BUDGET_SCRIPTS.reserve, args);
    } catch (error) {
      // A reservation that went out and was not answered may still be recorded: release it once Redis answers.
      if (error instanceof Unreachable && error.sent) this.retries.push({ id, holdPairs: places.length, keys: keysOf(places), actualUsd: 0, at, expireAts: [] });
      return this.reserveLocally(error, refs, amountUsd);
    }
    const view = this.remember(Snapshot.read(refs, places, reply, 2));
    if (reply[0] !== 'held') {
      const status = view.at(Number(reply[1]) - 1);
      this.options.listener?.refused(status);
      return { ok: false, status, view };
    }
    const hold = new SharedHold(this, refs, places, id, amountUsd);
    this.track(hold);
    return { ok: true, reservation: hold, view };
  }

  /** Grows a shared hold (see BudgetHold.grow); in fail_open, a store that does not answer grows it on this replica's book. */
  async grow(hold: SharedHold, wantedTokens: number, leastTokens: number, usdPerToken: number): Promise<Growth> {
    const at = this.now();
    const args: (string | number)[] = [at, hold.id, wantedTokens, leastTokens, usdPerToken, at + this.ttlMs, hold.amountUsd];
    for (let i = 0; i < hold.refs.length; i++) args.push(hold.refs[i]!.config.limitUsd, hold.places[i]!.expireAt);
    let reply: unknown[];
    try {
      reply = await this.run(BUDGET_SCRIPTS.grow, keysOf(hold.places), args);
    } catch (error) {
      hold.local ??= (await this.localBook(error, hold.refs)).hold(hold.refs);
      return hold.local.grow(wantedTokens, leastTokens, usdPerToken);
    }
    const granted = Number(reply[0]);
    const view = this.remember(Snapshot.read(hold.refs, hold.places, reply, 2));
    if (granted > 0) {
      hold.amountUsd += granted * usdPerToken;
      return { grantedTokens: granted, tightest: undefined };
    }
    const tightest = view.at(Number(reply[1]) - 1);
    this.options.listener?.refused(tightest);
    return { grantedTokens: 0, tightest };
  }

  /** Releases a shared hold and books `actualUsd` in the budgets' current periods (queued when Redis is unreachable). */
  async settleHold(hold: SharedHold, actualUsd: number): Promise<void> {
    this.untrack(hold);
    hold.local?.settle(0);
    await this.book(hold.id, hold.places, hold.refs, actualUsd);
  }

  /** Books spend that was held on this replica's book during an outage, so that the shared spend catches up. */
  bookFallback(refs: readonly BudgetRef[], actualUsd: number): Promise<void> {
    return this.book('', [], refs, actualUsd);
  }

  /** Renews every live hold's expiry (the heartbeat; a test calls it to move on without waiting). */
  async renewHolds(): Promise<void> {
    const at = this.now();
    await Promise.all(
      [...this.live].map((hold) => {
        const args: (string | number)[] = [at, hold.id, at + this.ttlMs, hold.amountUsd];
        for (const place of hold.places) args.push(place.expireAt);
        return this.run(BUDGET_SCRIPTS.renew, keysOf(hold.places), args).then(
          () => undefined,
          (error: unknown) => this.markDown(error),
        );
      }),
    );
  }

  /**
   * Stops the heartbeat and the retries, after the settles waiting for their batch are sent and one last try to
   * send the queued ones (holds left expire by their TTL).
   */
  async close(): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.live.clear();
    this.batches.flush();
    await Promise.allSettled([...this.settling]);
    await this.retries.drain().catch(() => undefined);
    this.retries.close();
  }

  private book(id: string, holdPlaces: readonly Place[], refs: readonly BudgetRef[], actualUsd: number): Promise<void> {
    const settling = this.sendBooking(id, holdPlaces, refs, actualUsd).finally(() => this.settling.delete(settling));
    this.settling.add(settling);
    return settling;
  }

  /** Books in the periods of now (the settle's `at`, whenever its batch goes out); a batch that failed queues it for a retry. */
  private async sendBooking(id: string, holdPlaces: readonly Place[], refs: readonly BudgetRef[], actualUsd: number): Promise<void> {
    const at = this.now();
    const bookPlaces = this.placesOf(refs, at);
    const entry: QueuedSettle = {
      id,
      holdPairs: holdPlaces.length,
      keys: [...keysOf(holdPlaces), ...keysOf(bookPlaces)],
      actualUsd,
      at,
      expireAts: bookPlaces.map((place) => place.expireAt),
    };
    let reply: unknown[];
    try {
      reply = await this.batches.add(entry);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      this.markDown(error);
      this.retries.push(entry);
      return;
    }
    if (this.retries.length > 0) void this.retries.drain();
    const view = this.remember(Snapshot.read(refs, bookPlaces, reply, 0));
    if (this.options.listener !== undefined) for (let i = 0; i < view.size; i++) this.options.listener.settled(view.at(i));
  }

  /** Sends settles as one script call; resolves with each one's reply (the numbers of its booking pairs). */
  private async sendSettles(entries: readonly QueuedSettle[]): Promise<unknown[][]> {
    this.settleCalls++;
    const keys: string[] = [];
    const args: (string | number)[] = [entries.length];
    for (const entry of entries) {
      for (const key of entry.keys) keys.push(key);
      args.push(entry.at, entry.id, entry.actualUsd, entry.holdPairs, entry.expireAts.length);
      for (const expireAt of entry.expireAts) args.push(expireAt);
    }
    const reply = await this.run(BUDGET_SCRIPTS.settle, keys, args);
    const replies = new Array<unknown[]>(entries.length);
    let offset = 0;
    for (let i = 0; i < entries.length; i++) {
      const size = 2 * entries[i]!.expireAts.length;
      replies[i] = reply.slice(offset, offset + size);
      offset += size;
    }
    return replies;
  }

  /** Runs a read or a reservation; budgets never seeded in their period are seeded from the ledger, then it runs again. */
  private async seeded(refs: readonly BudgetRef[], places: readonly Place[], script: LuaScript, args: readonly (string | number)[]): Promise<unknown[]> {
    const keys = keysOf(places);
    for (let attempt = 0; ; attempt++) {
      const reply = await this.run(script, keys, args);
      if (reply[0] !== 'seed' || attempt === SEED_ATTEMPTS) return reply;
      await Promise.all(reply.slice(1).map((i) => this.seed(refs[Number(i) - 1]!, places[Number(i) - 1]!)));
    }
  }

  private seed(ref: BudgetRef, place: Place): Promise<void> {
    let pending = this.seedsInFlight.get(place.key);
    if (pending === undefined) {
      pending = this.options
        .spentSince(ref, place.bounds.start)
        .then((spent) => this.run(BUDGET_SCRIPTS.seed, [place.key], [spent, place.expireAt]))
        .then(() => undefined)
        .finally(() => this.seedsInFlight.delete(place.key));
      this.seedsInFlight.set(place.key, pending);
    }
    return pending;
  }

  /** One script, failed at once when the client is reconnecting, and after `timeoutMs` without an answer. */
  private async run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown[]> {
    if (OFFLINE.has(this.redis.status)) throw new Unreachable(`the Redis client is ${this.redis.status}`, false);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const reply = await Promise.race([script.run(this.redis, keys, args), timeout]);
      this.markUp();
      return reply as unknown[];
    } catch (error) {
      throw new Unreachable(error instanceof Error ? error.message : String(error), true, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Redis failed a step: refuse (fail_closed), or hand back this replica's own book for the outage, seeded from
   * the ledger for `refs` (fail_open). Any other failure (the ledger's) is passed on.
   */
  private async localBook(error: unknown, refs: readonly BudgetRef[]): Promise<BudgetBook> {
    if (!(error instanceof Unreachable)) throw error;
    this.markDown(error);
    if (this.options.whenUnavailable === 'fail_closed') throw new BudgetStoreUnavailableError({ cause: error });
    const local = (this.fallbackBook ??= new BudgetBook(this.now, this.options.listener));
    const missing = local.missingSeeds(refs);
    if (missing !== undefined) {
      const spent = await Promise.all(missing.map((ref) => this.options.spentSince(ref, local.periodStart(ref))));
      missing.forEach((ref, i) => local.seed(ref, spent[i]!));
    }
    return local;
  }

  private async reserveLocally(error: unknown, refs: readonly BudgetRef[], amountUsd: number): Promise<ReserveResult> {
    const local = await this.localBook(error, refs);
    const result = local.reserve(refs, amountUsd);
    if (!result.ok) return result;
    return { ok: true, reservation: new FallbackHold(this, refs, result.reservation), view: result.view };
  }

  private markDown(error: unknown): void {
    if (this.down) return;
    this.down = true;
    const mode = this.options.whenUnavailable === 'fail_closed' ? 'calls with a budget are refused' : 'budgets are kept per replica';
    this.options.log.warn({ err: error }, `the shared budget store (Redis) cannot be reached: ${mode} until it answers again`);
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    // Holds taken on it still settle on it (they keep a reference); new calls are shared again.
    this.fallbackBook = undefined;
    this.options.log.info('the shared budget store (Redis) answers again: budgets are shared again');
    void this.retries.drain();
  }

  private placesOf(refs: readonly BudgetRef[], at: number): Place[] {
    const places = new Array<Place>(refs.length);
    for (let i = 0; i < refs.length; i++) places[i] = this.places.of(refs[i]!, at);
    return places;
  }

  private remember(view: Snapshot): Snapshot {
    for (let i = 0; i < view.size; i++) {
      const status = view.at(i);
      this.known.set(status.ref.id, status);
    }
    return view;
  }

  private track(hold: SharedHold): void {
    this.live.add(hold);
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => void this.renewHolds(), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.heartbeat.unref();
  }

  private untrack(hold: SharedHold): void {
    this.live.delete(hold);
    if (this.live.size > 0 || this.heartbeat === undefined) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** A call's hold in Redis: the same id on every budget of the period it was reserved in. */
class SharedHold implements Extract<BudgetHold, { remote: true }> {
  readonly remote = true as const;
  /** What an outage let it grow by on this replica's book (fail_open), released when it settles. */
  local: Reservation | undefined;

  constructor(
    private readonly book: RedisBudgetBook,
    readonly refs: readonly BudgetRef[],
    readonly places: readonly Place[],
    readonly id: string,
    public amountUsd: number,
  ) {}

  grow(wantedTokens: number, leastTokens: number, usdPerToken: number): Promise<Growth> {
    return this.book.grow(this, wantedTokens, leastTokens, usdPerToken);
  }

  settle(actualUsd: number): Promise<void> {
    return this.book.settleHold(this, actualUsd);
  }
}

/** A call admitted on this replica's book while Redis was unreachable: settled there, and its spend sent to Redis. */
class FallbackHold implements Extract<BudgetHold, { remote: false }> {
  readonly remote = false as const;

  constructor(
    private readonly book: RedisBudgetBook,
    private readonly refs: readonly BudgetRef[],
    private readonly reservation: Reservation,
  ) {}

  get amountUsd(): number {
    return this.reservation.amountUsd;
  }

  grow(wantedTokens: number, leastTokens: number, usdPerToken: number): Growth {
    return this.reservation.grow(wantedTokens, leastTokens, usdPerToken);
  }

  settle(actualUsd: number): Promise<void> {
    this.reservation.settle(actualUsd);
    return this.book.bookFallback(this.refs, actualUsd);
  }
}

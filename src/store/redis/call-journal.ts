/**
 * Calls in flight, journaled in Redis so that a replica killed without a
 * goodbye (kill -9, OOM, a lost node) does not lose them silently: each
 * replica keeps the calls it is serving in a hash `<prefix>calls:<replica>`
 * and beats a heartbeat in the sorted set `<prefix>replicas`; every replica
 * sweeps for others whose heartbeat stopped, claims each dead one exactly
 * once (a ZREM that only one sweeper can win) and writes a ledger row with
 * status `lost` for every call it left behind.
 *
 * Nothing is sent to Redis per call: the journal is written once per
 * heartbeat (the calls started and ended since the last one, as one
 * pipeline). A call that starts and ends between two beats never reaches
 * Redis. The price is the bound: a call that started within one heartbeat
 * interval before the crash may be missing from the journal (and so from the
 * ledger). The ledger row of a lost call costs 0 and is marked estimated: how
 * much the upstream billed for it cannot be known from here.
 */
import type { Redis } from 'ioredis';
import type { Call, CallObserver, CallOutcome } from '../../pipeline/contracts.js';
import type { Deployment } from '../../routing/router.js';
import type { UsageLedger } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';

/** What the journal keeps of a call: enough for its ledger row if its replica dies. */
export interface JournaledCall {
  readonly requestId: string;
  readonly tenant: string;
  readonly keyId: string | null;
  readonly requestedModel: string;
  readonly routeModel: string;
  readonly provider: string;
  readonly upstreamModel: string;
  /** Epoch ms of the first upstream attempt. */
  readonly startedAt: number;
}

export interface CallJournalOptions {
  readonly client: Redis;
  readonly prefix: string;
  /** This replica's id: unique per process (host, pid and a random part). */
  readonly replica: string;
  /** Where the rows of a dead replica's calls go (the shared ledger). */
  readonly ledger: UsageLedger;
  readonly heartbeatMs: number;
  /** A replica whose heartbeat is older than this is dead (several heartbeats, so a slow beat is not a death). */
  readonly deadAfterMs: number;
  readonly now?: () => number;
  /** Told of each dead replica swept (for the log). */
  readonly onSwept?: (replica: string, calls: readonly JournaledCall[]) => void;
  /** Redis failed a beat or a sweep; the next one tries again. */
  readonly onError?: (error: unknown) => void;
}

/** A call's journal hash field value: the call as JSON (read back only after a crash). */
function encode(call: JournaledCall): string {
  return JSON.stringify(call);
}

function decode(text: string): JournaledCall | undefined {
  try {
    const value = JSON.parse(text) as Partial<JournaledCall>;
    if (typeof value.requestId !== 'string' || typeof value.tenant !== 'string' || typeof value.startedAt !== 'number') return undefined;
    return value as JournaledCall;
  } catch {
    return undefined;
  }
}

/** The ledger row of a call whose replica died while serving it. */
export function lostCallRecord(call: JournaledCall, sweptAt: number): UsageRecord {
  return {
    time: sweptAt,
    requestId: call.requestId,
    tenant: call.tenant,
    keyId: call.keyId,
    routeModel: call.routeModel,
    requestedModel: call.requestedModel,
    provider: call.provider,
    upstreamModel: call.upstreamModel,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    estimated: true,
    status: 'lost',
    httpStatus: 0,
    latencyMs: Math.max(0, sweptAt - call.startedAt),
    ttftMs: null,
  };
}

export class CallJournal implements CallObserver {
  private readonly started = new Map<string, JournaledCall>();
  /** Calls started since the last beat (not yet in Redis). */
  private readonly added = new Map<string, JournaledCall>();
  /** Calls ended since the last beat that are in Redis. */
  private readonly removed: string[] = [];
  private readonly now: () => number;
  private readonly callsKey: string;
  private readonly replicasKey: string;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly options: CallJournalOptions) {
    this.now = options.now ?? Date.now;
    this.callsKey = `${options.prefix}calls:${options.replica}`;
    this.replicasKey = `${options.prefix}replicas`;
  }

  /** Starts the heartbeat (and the sweep, every beat). */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.heartbeatMs);
    this.timer.unref();
    void this.tick();
  }

  onStart(call: Call, deployment: Deployment, attempt: number): void {
    if (attempt !== 1 || this.started.has(call.ctx.requestId)) return;
    const entry: JournaledCall = {
      requestId: call.ctx.requestId,
      tenant: call.principal.tenant,
      keyId: call.principal.keyId ?? null,
      requestedModel: call.requestedModel,
      routeModel: call.route.name,
      provider: deployment.provider.name,
      upstreamModel: deployment.model,
      startedAt: this.now(),
    };
    this.started.set(entry.requestId, entry);
    this.added.set(entry.requestId, entry);
  }

  onEnd(call: Call, _outcome: CallOutcome): void {
    const id = call.ctx.requestId;
    if (!this.started.delete(id)) return;
    // Never written: nothing to take back.
    if (!this.added.delete(id)) this.removed.push(id);
  }

  /** Calls this replica is serving now. */
  inFlight(): number {
    return this.started.size;
  }

  /** One heartbeat and one sweep; never rejects (errors go to onError). */
  async tick(): Promise<void> {
    if (this.beating !== undefined) return this.beating;
    this.beating = (async () => {
      try {
        await this.beat();
        await this.sweep();
      } catch (error) {
        this.options.onError?.(error);
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /** Writes the calls started and ended since the last beat, and the heartbeat. */
  private async beat(): Promise<void> {
    const added = [...this.added.values()];
    const removed = this.removed.splice(0);
    this.added.clear();
    const multi = this.options.client.multi();
    if (added.length > 0) multi.hset(this.callsKey, ...added.flatMap((call) => [call.requestId, encode(call)]));
    if (removed.length > 0) multi.hdel(this.callsKey, ...removed);
    multi.zadd(this.replicasKey, this.now(), this.options.replica);
    try {
      await multi.exec();
    } catch (error) {
      // Not written: try again with the next beat (a call ended meanwhile is dropped from `added` then).
      for (const call of added) if (this.started.has(call.requestId)) this.added.set(call.requestId, call);
      this.removed.push(...removed);
      throw error;
    }
  }

  /** Claims every replica whose heartbeat stopped and writes its calls to the ledger as lost. */
  async sweep(): Promise<void> {
    const { client, prefix, deadAfterMs, ledger } = this.options;
    const now = this.now();
    const dead = await client.zrangebyscore(this.replicasKey, '-inf', now - deadAfterMs);
    for (const replica of dead) {
      if (replica === this.options.replica) continue;
      // Only one sweeper removes the member: the one that did owns the dead replica's calls.
      if ((await client.zrem(this.replicasKey, replica)) !== 1) continue;
      const key = `${prefix}calls:${replica}`;
      const entries = await client.hgetall(key);
      const calls: JournaledCall[] = [];
      for (const text of Object.values(entries)) {
        const call = decode(text);
        if (call !== undefined) calls.push(call);
      }
      const sweptAt = this.now();
      for (const call of calls) ledger.append(lostCallRecord(call, sweptAt));
      await client.del(key);
      this.options.onSwept?.(replica, calls);
    }
  }

  /**
   * Leaves the journal on a clean shutdown (after the calls have settled):
   * the replica and its calls are removed, so nobody sweeps them.
   */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.options.client.multi().zrem(this.replicasKey, this.options.replica).del(this.callsKey).exec();
  }
}

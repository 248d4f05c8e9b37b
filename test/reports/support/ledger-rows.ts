/**
 * Known ledger rows for the report tests, and their sums computed here from
 * the rows themselves (never from the report code), to check every total.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageRecord, UsageStatus } from '../../../src/metering/usage-record.js';
import { mulberry32 } from '../../../src/util/random.js';
import { SqliteUsageLedger } from '../../../src/store/sqlite/usage-ledger.js';

let sequence = 0;

export function usageRow(overrides: Partial<UsageRecord> & Pick<UsageRecord, 'time' | 'tenant'>): UsageRecord {
  return {
    requestId: `req-${++sequence}`,
    keyId: null,
    routeModel: 'gpt-oss:20b',
    requestedModel: overrides.routeModel ?? 'gpt-oss:20b',
    provider: 'local',
    upstreamModel: 'gpt-oss:20b',
    promptTokens: 100,
    completionTokens: 20,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.01,
    estimated: false,
    status: 'ok',
    httpStatus: 200,
    latencyMs: 500,
    ttftMs: 80,
    ...overrides,
  };
}

/** A deterministic source of numbers, so a failure can be replayed. */
export function seeded(seed: number): () => number {
  return mulberry32(seed);
}

const STATUSES: readonly UsageStatus[] = ['ok', 'ok', 'ok', 'error', 'client_error', 'cancelled', 'shutdown'];
const TENANTS = ['team-a', 'team-b', 'data,science'];
const KEYS = [null, 'key1aaaaaaaa', 'key2bbbbbbbb'];
const DEPLOYMENTS: ReadonlyArray<readonly [string, string | null, string | null]> = [
  ['gpt-oss:20b', 'local', 'gpt-oss:20b'],
  ['gpt-oss:20b', 'vllm', 'openai/gpt-oss-20b'],
  ['gpt-5-mini', 'openai', 'gpt-5-mini'],
  ['gpt-5-mini', null, null],
];

/** `count` rows spread over [from, to), tenants, keys, deployments, statuses and estimated flags chosen by `random`. */
export function randomRows(count: number, from: number, to: number, random: () => number): UsageRecord[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, () => {
    const [routeModel, provider, upstreamModel] = pick(DEPLOYMENTS);
    const promptTokens = Math.floor(random() * 5_000);
    const completionTokens = Math.floor(random() * 2_000);
    const status = pick(STATUSES);
    return usageRow({
      time: from + Math.floor(random() * (to - from)),
      tenant: pick(TENANTS),
      keyId: pick(KEYS),
      routeModel,
      provider,
      upstreamModel,
      promptTokens,
      completionTokens,
      cachedTokens: Math.floor(random() * promptTokens),
      reasoningTokens: Math.floor(random() * completionTokens),
      costUsd: provider === null ? 0 : Math.round(random() * 1e6) / 1e7,
      estimated: random() < 0.25,
      status,
      httpStatus: status === 'ok' ? 200 : status === 'cancelled' ? 499 : status === 'client_error' ? 400 : 502,
    });
  });
}

export interface Sums {
  requests: number;
  ok: number;
  errors: number;
  clientErrors: number;
  clientClosed: number;
  shutdown: number;
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  cost: number;
  estRequests: number;
  estInput: number;
  estCached: number;
  estOutput: number;
  estReasoning: number;
  estCost: number;
}

export function sums(rows: readonly UsageRecord[]): Sums {
  const s: Sums = { requests: 0, ok: 0, errors: 0, clientErrors: 0, clientClosed: 0, shutdown: 0, input: 0, cached: 0, output: 0, reasoning: 0, cost: 0, estRequests: 0, estInput: 0, estCached: 0, estOutput: 0, estReasoning: 0, estCost: 0 };
  for (const r of rows) {
    s.requests++;
    if (r.status === 'ok') s.ok++;
    if (r.status === 'error') s.errors++;
    if (r.status === 'client_error') s.clientErrors++;
    if (r.status === 'cancelled') s.clientClosed++;
    if (r.status === 'shutdown') s.shutdown++;
    s.input += r.promptTokens;
    s.cached += r.cachedTokens;
    s.output += r.completionTokens;
    s.reasoning += r.reasoningTokens;
    s.cost += r.costUsd;
    if (r.estimated) {
      s.estRequests++;
      s.estInput += r.promptTokens;
      s.estCached += r.cachedTokens;
      s.estOutput += r.completionTokens;
      s.estReasoning += r.reasoningTokens;
      s.estCost += r.costUsd;
    }
  }
  return s;
}

/** A ledger on a fresh file; `close` also removes the directory. */
export function fileLedger(): { ledger: SqliteUsageLedger; path: string; dispose: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-report-'));
  const path = join(dir, 'usage.sqlite');
  const ledger = SqliteUsageLedger.open(path, { flushIntervalMs: 60_000 });
  return {
    ledger,
    path,
    dispose: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Types of the parts of bench/report.mjs the tests check: the targets of a run and the ratios derived from its runs.

/** One timed run of one target in one cell (the harness's `measure`, plus its round). */
export interface BenchRun {
  round: number;
  target: string;
  requests: number;
  rps: number;
  p50Us: number;
  p99Us?: number;
  cpuUsPerReq: number | undefined;
  upstreamCpuUsPerReq?: number;
}

/** Medians over the repeats of one target in one cell. */
export interface TargetSummary {
  runs: number;
  rps?: number;
  p50Us?: number;
  p99Us?: number;
  cpuUsPerReq?: number;
  upstreamCpuUsPerReq?: number;
  peakRssMb?: number;
}

/** The ratios `derive` adds (only those of the targets measured are present). */
export interface CellRatios {
  cpuAuth?: number;
  cpuBudgets?: number;
  cpuFeed?: number;
  cpuFeedRounds?: number[];
  feedExtraCpuUs?: number;
  p50Feed?: number;
  p50FeedRounds?: number[];
  feedExtraP50Us?: number;
  overFeedLimit?: boolean;
}

export interface BenchCell {
  scenario: string;
  group: string;
  concurrency: number;
  durationS: number;
  summary: Record<string, TargetSummary>;
  runs: BenchRun[];
  ratios?: CellRatios;
  feedEvents?: { received: number; dropped: number; requests: number };
}

export interface FeedComparison {
  limit: number;
  cells: number;
  overLimit: { where: string; ratio: number; rounds: number[]; p50Ratio: number | undefined; p50Rounds: number[] }[];
  worst: { where: string; ratio: number };
  geomean: number | undefined;
  p50Geomean: number | undefined;
  extraCpuUsMedian: number | undefined;
}

export const FEED_LIMIT: number;
export function runTargets(which?: { baseline?: boolean; watch?: boolean; auth?: boolean; budgets?: boolean; feed?: boolean }): string[];
export function summarise(runs: readonly BenchRun[]): TargetSummary;
export function derive(cell: BenchCell): BenchCell & { ratios: CellRatios };
export function compareTargets(cells: readonly BenchCell[]): { feed?: FeedComparison; [other: string]: unknown };
export function renderMarkdown(result: unknown): string;

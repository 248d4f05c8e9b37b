import { describe, expect, it } from 'vitest';
import { compareTargets, derive, FEED_LIMIT, runTargets, summarise, type BenchCell, type BenchRun } from '../../bench/report.mjs';

/** Two rounds of the keyed target and of the one watched by a console, with the CPU and p50 given. */
function cellOf(auth: [number, number][], feed: [number, number][]): BenchCell {
  const run = (target: string, round: number, [cpuUsPerReq, p50Us]: [number, number]): BenchRun => ({ round, target, requests: 1000, rps: 500, p50Us, cpuUsPerReq });
  const runs = [...auth.map((v, round) => run('tollgate-auth', round, v)), ...feed.map((v, round) => run('tollgate-feed', round, v))];
  const summary = Object.fromEntries(['tollgate-auth', 'tollgate-feed'].map((t) => [t, summarise(runs.filter((r) => r.target === t))]));
  return { scenario: 'chat-json', group: 'chat-json', concurrency: 1, durationS: 2, summary, runs };
}

describe('bench --console-feed: targets and ratios', () => {
  it('brings tollgate-auth along, and adds tollgate-feed after the other keyed targets', () => {
    expect(runTargets({ feed: true })).toEqual(['direct', 'floor', 'tollgate', 'tollgate-auth', 'tollgate-feed']);
    expect(runTargets({ budgets: true, feed: true })).toEqual(['direct', 'floor', 'tollgate', 'tollgate-auth', 'tollgate-budgets', 'tollgate-feed']);
    expect(runTargets({ auth: true })).toEqual(['direct', 'floor', 'tollgate', 'tollgate-auth']);
  });

  it('derives feed / auth for CPU and p50, as ratios of the medians and round by round', () => {
    const cell = derive(
      cellOf(
        [
          [100, 200],
          [110, 220],
        ],
        [
          [120, 300],
          [121, 330],
        ],
      ),
    );
    expect(cell.ratios.cpuFeed).toBeCloseTo(120.5 / 105, 6);
    expect(cell.ratios.feedExtraCpuUs).toBeCloseTo(15.5, 6);
    expect(cell.ratios.cpuFeedRounds).toEqual([1.2, 1.1]);
    expect(cell.ratios.p50Feed).toBeCloseTo(315 / 210, 6);
    expect(cell.ratios.p50FeedRounds).toEqual([1.5, 1.5]);
    expect(cell.ratios.overFeedLimit).toBe(true);
  });

  it('flags a cell only when CPU or p50 is over the limit, and sums the run up', () => {
    const even = derive(cellOf([[100, 200]], [[101, 201]]));
    expect(even.ratios.overFeedLimit).toBe(false);
    const slower = derive(cellOf([[100, 200]], [[100, 200 * (FEED_LIMIT + 0.01)]]));
    expect(slower.ratios.overFeedLimit).toBe(true);
    const feed = compareTargets([even, slower]).feed;
    expect(feed?.cells).toBe(2);
    expect(feed?.overLimit.map((o) => o.p50Ratio)).toEqual([slower.ratios.p50Feed]);
    expect(feed?.geomean).toBeCloseTo(Math.sqrt(1.01 * 1), 6);
  });
});

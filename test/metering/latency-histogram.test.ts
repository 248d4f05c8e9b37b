/**
 * The latency histogram's buckets: the SQL expression the stores use
 * (checked here on SQLite; PostgreSQL in the rollup migration test) puts
 * every latency where the JavaScript one does, and a bucket's reported
 * latency is within the stated error of every latency it holds.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bucketLatency, histogramPercentile, LATENCY_RELATIVE_ERROR, latencyBucket, latencyBucketSql } from '../../src/metering/latency-histogram.js';

describe('latency histogram', () => {
  it('buckets alike in JavaScript and in SQL, for every latency up to ten minutes', () => {
    const db = new Database(':memory:');
    try {
      const sql = db.prepare<[{ ms: number }], number>(`SELECT ${latencyBucketSql('@ms')}`).pluck();
      const samples = [0, 0.4, ...Array.from({ length: 20_000 }, (_, i) => i + 1), ...Array.from({ length: 2_000 }, (_, i) => 20_000 + i * 290)];
      const differing = samples.filter((ms) => sql.get({ ms }) !== latencyBucket(ms));
      expect(differing).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('reports a bucket within the stated error of each latency it holds', () => {
    expect(LATENCY_RELATIVE_ERROR).toBeLessThan(0.1);
    for (let ms = 1; ms <= 600_000; ms = ms < 1_000 ? ms + 1 : Math.ceil(ms * 1.01)) {
      expect(Math.abs(bucketLatency(latencyBucket(ms)) - ms) / ms).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR + 0.05 / ms);
    }
    expect(bucketLatency(latencyBucket(0))).toBe(0);
    expect(latencyBucket(600_000)).toBeLessThan(80);
  });

  it('reads nearest-rank percentiles, null for an empty histogram', () => {
    const latencies = [10, 20, 30, 40, 1_000];
    const histogram = new Map<number, number>();
    for (const ms of latencies) histogram.set(latencyBucket(ms), (histogram.get(latencyBucket(ms)) ?? 0) + 1);
    expect(histogramPercentile(histogram, 0.5)).toBe(bucketLatency(latencyBucket(30)));
    expect(histogramPercentile(histogram, 0.8)).toBe(bucketLatency(latencyBucket(40)));
    expect(histogramPercentile(histogram, 0.95)).toBe(bucketLatency(latencyBucket(1_000)));
    expect(histogramPercentile(new Map(), 0.5)).toBeNull();
  });
});

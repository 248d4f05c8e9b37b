/**
 * Latency histograms with log-spaced buckets, so percentiles can be summed
 * over hours, tenants and models and still be read back with a known error.
 *
 * Bucket 0 holds latencies under 1 ms; bucket k >= 1 holds
 * `[RATIO^(k-1), RATIO^k)` ms. A percentile is read as the geometric middle
 * of the bucket the percentile's rank falls in, so it is within
 * `sqrt(RATIO) - 1` (9.5 %) of the true (nearest-rank) percentile of the
 * latencies counted. Ten minutes is bucket 74: a histogram has well under a
 * hundred buckets, and an hour's traffic fills a handful.
 *
 * The stores compute the same bucket in SQL (`LATENCY_BUCKET_SQL`) to
 * backfill and, in PostgreSQL, on every write: keep the two in step.
 */

/** Each bucket's upper bound over its lower bound. */
export const LATENCY_RATIO = 1.2;
/** How far a reported percentile may be from the true one, relative to it. */
export const LATENCY_RELATIVE_ERROR = Math.sqrt(LATENCY_RATIO) - 1;

const LN_RATIO = Math.log(LATENCY_RATIO);

/** The bucket of a latency in ms. */
export function latencyBucket(latencyMs: number): number {
  return latencyMs >= 1 ? Math.floor(Math.log(latencyMs) / LN_RATIO) + 1 : 0;
}

/**
 * The same, as an SQL expression over `column` (both SQLite, built with its
 * math functions, and PostgreSQL have `ln` and `floor`).
 */
export function latencyBucketSql(column: string): string {
  // Doubles on both sides, as in JavaScript: PostgreSQL would take the literal as NUMERIC.
  return `CASE WHEN ${column} >= 1 THEN CAST(floor(ln(CAST(${column} AS DOUBLE PRECISION)) / ln(CAST(${LATENCY_RATIO} AS DOUBLE PRECISION))) AS INTEGER) + 1 ELSE 0 END`;
}

/** The latency a bucket stands for: the geometric middle of its bounds, to 0.1 ms. */
export function bucketLatency(bucket: number): number {
  if (bucket <= 0) return 0;
  return Math.round(LATENCY_RATIO ** (bucket - 0.5) * 10) / 10;
}

/**
 * The `p`-th percentile (0 < p <= 1, nearest rank) of a histogram given as
 * bucket → count; null when it counts nothing.
 */
export function histogramPercentile(histogram: ReadonlyMap<number, number>, p: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) ?? 0;
    if (seen >= rank) return bucketLatency(bucket);
  }
  return null;
}

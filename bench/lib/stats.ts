// Small, pure statistics for the benchmark (and the fault suite): a
// latency summary and a throughput. Medians and p95 rather than means,
// because a shared machine adds rare long stalls that would drag a mean.

export interface LatencySummary {
  n: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

/**
 * The p-th percentile (0–100) by linear interpolation between the two
 * nearest ranks (the usual "type 7" definition, as in NumPy's default).
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[high] ?? Number.NaN;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Median, p95, min and max, rounded to the millisecond. */
export function summarize(samples: readonly number[]): LatencySummary {
  return {
    n: samples.length,
    medianMs: Math.round(median(samples)),
    p95Ms: Math.round(percentile(samples, 95)),
    minMs: Math.round(Math.min(...samples)),
    maxMs: Math.round(Math.max(...samples)),
  };
}

/** Jobs per minute for `jobs` finished in `wallMs`, to one decimal. */
export function perMinute(jobs: number, wallMs: number): number {
  return wallMs > 0 ? round1((jobs * 60_000) / wallMs) : 0;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** What a run of jobs gave: the results, the failures' reasons, and its wall time. */
export interface LaneRun<T> {
  jobs: T[];
  failures: string[];
  wallMs: number;
}

/**
 * Runs `count` jobs, `lanes` at a time: each lane starts its next job when its
 * previous one ends, as a client with that many requests in flight would.
 */
export async function runInLanes<T>(count: number, lanes: number, job: () => Promise<T>): Promise<LaneRun<T>> {
  const jobs: T[] = [];
  const failures: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < count) {
      next += 1;
      try {
        jobs.push(await job());
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { jobs, failures, wallMs: performance.now() - t0 };
}

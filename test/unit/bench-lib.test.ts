// The benchmark's pure helpers: the statistics its figures rest on, the
// /proc parsing behind its memory figures, and the goals it reports.
import { describe, expect, it } from 'vitest';
import { descendantsOf, kbField, parentOf, treeMemory } from '../../bench/lib/proc-tree.js';
import type { JobRecord } from '../../bench/lib/courier.js';
import { againstPage, runOf } from '../../bench/lib/page-time.js';
import { metricValue } from '../../bench/lib/real-app.js';
import { goalsOf } from '../../bench/lib/results.js';
import { median, perMinute, percentile, summarize } from '../../bench/lib/stats.js';

describe('bench statistics', () => {
  it('interpolates percentiles between ranks, whatever the input order', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(median([10, 30, 20])).toBe(20);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 95)).toBe(20);
    expect(percentile([7], 95)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('summarizes latencies in whole milliseconds', () => {
    expect(summarize([100.4, 200.6, 300.2])).toEqual({ n: 3, medianMs: 201, p95Ms: 290, minMs: 100, maxMs: 300 });
  });

  it('gives throughput in jobs per minute', () => {
    expect(perMinute(30, 60_000)).toBe(30);
    expect(perMinute(10, 4_000)).toBe(150);
    expect(perMinute(5, 0)).toBe(0);
  });
});

describe('bench process tree', () => {
  it('reads the parent pid after the command name, even one with spaces and parentheses', () => {
    expect(parentOf('4242 (node) S 17 4242 4242 0 -1')).toBe(17);
    expect(parentOf('31 (Web Content (x)) R 30 31 31 0 -1')).toBe(30);
    expect(parentOf('garbage')).toBeNull();
  });

  it('reads kB fields of /proc status files', () => {
    const status = 'Name:\tchromium\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\n';
    expect(kbField(status, 'VmRSS')).toBe(123456);
    expect(kbField(status, 'VmSwap')).toBeNull();
  });

  it('finds this process and measures its memory', () => {
    expect(descendantsOf(process.pid)).toContain(process.pid);
    const memory = treeMemory(process.pid);
    expect(memory.processes).toBeGreaterThanOrEqual(1);
    expect(memory.rssMb).toBeGreaterThan(10);
  });
});

describe('bench goals', () => {
  const met = { overheadC1Ms: 120, overheadC4Ms: 150, burstRatio: 1.3, galleryMaxDiffering: 0.01, misbehavingOverTimeoutMs: 5000, rssGrowth: 1.1, failedJobs: 0 };

  it('holds the figures to the goals of issues 7 and 10, bounds included', () => {
    expect(goalsOf(met).every((g) => g.met)).toBe(true);
    const missed = goalsOf({ overheadC1Ms: 121, overheadC4Ms: 151, burstRatio: 1.31, galleryMaxDiffering: 0.011, misbehavingOverTimeoutMs: 5001, rssGrowth: 1.11, failedJobs: 1 });
    expect(missed.filter((g) => g.met)).toEqual([]);
    expect(missed.map((g) => g.key)).toEqual(Object.keys(met));
  });
});

describe('courier against the page', () => {
  const record = (id: string, url: string | null, processMs: number): JobRecord => ({
    id,
    url,
    processMs,
    redisMs: processMs + 5,
    pickupMs: 5,
    attempts: 1,
    timings: { openMs: 40, readyMs: processMs - 100, captureMs: 40 },
    failedReason: null,
    finishedAt: 0,
    artifactPath: `screenshot/${id}.png`,
  });
  const beacon = (run: string, finalFrameMs: number, still = false) => ({ run, story: 'echarts', still, finalFrameMs, timeOrigin: 0, at: 0 });

  it('reads the beacon run id from a story URL', () => {
    expect(runOf('/gallery/echarts?run=abc&fontDelay=50')).toBe('abc');
    expect(runOf('http://front/gallery/echarts?run=x%20y')).toBe('x y');
    expect(runOf('/demo')).toBeNull();
    expect(runOf(null)).toBeNull();
  });

  it('subtracts the page\'s own final-frame time from the job\'s time in the worker, skipping jobs without a beacon', () => {
    const timed = againstPage(
      [record('1', '/gallery/echarts?run=a', 1500), record('2', '/gallery/echarts?run=b', 1700), record('3', '/gallery/echarts?run=none', 900)],
      [beacon('a', 1399.6), beacon('b', 1550), beacon('b', 10, true)],
    );
    expect(timed).toEqual([
      { id: '1', processMs: 1500, finalFrameMs: 1400, overheadMs: 100 },
      { id: '2', processMs: 1700, finalFrameMs: 1550, overheadMs: 150 },
    ]);
  });
});

describe('bench metrics', () => {
  it("reads a gauge from /metrics whatever its labels (every series carries the pod's name)", () => {
    const text = ['# HELP courier_asset_cache_bytes Bytes', 'courier_asset_cache_bytes{worker="pod-1"} 1612345', 'courier_asset_cache_entries 5', 'courier_asset_cache_bytes_other 9'].join('\n');
    expect(metricValue(text, 'courier_asset_cache_bytes')).toBe(1612345);
    expect(metricValue(text, 'courier_asset_cache_entries')).toBe(5);
    expect(metricValue(text, 'courier_missing')).toBeNaN();
  });
});

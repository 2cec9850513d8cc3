// The benchmark's pure helpers: the statistics its figures rest on, the
// /proc parsing behind its memory figures, and the goals it reports.
import { describe, expect, it } from 'vitest';
import { descendantsOf, kbField, parentOf, treeMemory } from '../../bench/lib/proc-tree.js';
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
  it('holds the four figures to the goals of issue 7, bounds included', () => {
    const met = goalsOf({ overheadRatio: 1.15, speedupVsNaive: 3, rssGrowth: 1.1, failedJobs: 0 });
    expect(met.every((g) => g.met)).toBe(true);
    const missed = goalsOf({ overheadRatio: 1.16, speedupVsNaive: 2.99, rssGrowth: 1.11, failedJobs: 1 });
    expect(missed.filter((g) => g.met)).toEqual([]);
    expect(missed.map((g) => g.key)).toEqual(['overheadRatio', 'speedupVsNaive', 'rssGrowth', 'failedJobs']);
  });
});

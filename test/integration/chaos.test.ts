// The fault suite (`npm run chaos`, bench/chaos/) as part of the tests:
// every scenario of issue 7 against real `courier worker` processes (run
// from source), the test Redis, Chromium, an SMTP server and the Bot
// Connector stand-in. Each scenario must lose no job, fail none that should
// not fail, send no message twice, and pass its own checks of the fault.
// No timing is asserted: budgets are minutes, faults are injected at moments
// the system itself signals. The scenarios run a few at a time (about two
// minutes on 2 cores); the stalled-job recovery alone takes 15-45 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../bench/chaos/report.js';
import { SCENARIOS } from '../../bench/chaos/scenarios/index.js';
import { runSuite, type ScenarioResult } from '../../bench/chaos/suite.js';
import { testRedisUrl } from '../setup/redis.js';

const SUITE_BUDGET_MS = 15 * 60_000;
const progress: string[] = [];
let results: ScenarioResult[] = [];

beforeAll(async () => {
  results = await runSuite({
    scenarios: SCENARIOS,
    redisUrl: testRedisUrl(),
    // The global setup made NODE_EXTRA_CA_CERTS trust the stand-in's loopback CA; the workers inherit it.
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? '',
    parallel: Number(process.env.CHAOS_PARALLEL ?? 3),
    print: (line) => progress.push(line),
  });
}, SUITE_BUDGET_MS);

afterAll(() => {
  if (results.length > 0) console.log(`${table(results)}\n`);
});

describe('the fault suite', () => {
  it.each(SCENARIOS.map((s) => [s.title, s.id] as const))('%s: nothing lost, nothing doubled, no unexpected failure', (_title, id) => {
    const result = results.find((r) => r.id === id);
    expect(result, progress.join('\n')).toBeDefined();
    const { row, problems, checks, troubles } = result!;
    // The problems (and the workers' warnings) are the message, so a failure says what went wrong.
    expect(problems, [...problems, ...troubles.slice(-20)].join('\n')).toEqual([]);
    expect(row.jobs).toBeGreaterThan(0);
    expect(row.lost).toBe(0);
    expect(row.duplicates).toBe(0);
    expect(row.unexpected).toBe(0);
    expect(row.completed + row.failedAsExpected).toBe(row.jobs);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });
});

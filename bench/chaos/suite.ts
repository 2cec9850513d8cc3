// Runs fault scenarios, several at once (each has its own stack, servers,
// queue prefix and workers, so they do not interfere), and gathers one
// result per scenario: its row of the table, its checks, what went wrong.
import { ScenarioContext, type Check } from './context.js';
import type { Scenario } from './scenario.js';
import type { Row } from './tally.js';

export interface ScenarioResult {
  id: string;
  title: string;
  row: Row;
  checks: Check[];
  /** Figures the scenario measured (e.g. how long a failover took). */
  notes: string[];
  /** Lost, unexpected and duplicate jobs, failed checks, or the error that stopped the scenario. */
  problems: string[];
  /** Warnings and errors the workers logged, when the scenario did not pass. */
  troubles: string[];
  seconds: number;
  passed: boolean;
}

export interface SuiteOptions {
  scenarios: Scenario[];
  redisUrl: string;
  extraCaCerts: string;
  /** Scenarios running at once. */
  parallel: number;
  print: (line: string) => void;
  /** Where to write every worker's log lines (none by default). */
  logDir?: string;
}

const EMPTY_ROW: Row = { jobs: 0, completed: 0, failedAsExpected: 0, unexpected: 0, lost: 0, duplicates: 0, window: 0 };

export async function runScenario(scenario: Scenario, options: Omit<SuiteOptions, 'scenarios' | 'parallel'>): Promise<ScenarioResult> {
  const started = Date.now();
  const { print } = options;
  print(`[${scenario.id}] start: ${scenario.title}`);
  let ctx: ScenarioContext | null = null;
  const result: ScenarioResult = { id: scenario.id, title: scenario.title, row: { ...EMPTY_ROW }, checks: [], notes: [], problems: [], troubles: [], seconds: 0, passed: false };
  try {
    ctx = await ScenarioContext.start({ id: scenario.id, redisUrl: options.redisUrl, privateRedis: scenario.privateRedis, topology: scenario.topology, extraCaCerts: options.extraCaCerts, print, logDir: options.logDir });
    await scenario.run(ctx);
    const verdict = await ctx.verdict(scenario.settleTimeoutMs);
    result.row = verdict.row;
    result.problems.push(...verdict.problems);
  } catch (err) {
    result.problems.push(`the scenario stopped: ${err instanceof Error ? err.message : String(err)}`);
    if (ctx) result.row = (await ctx.verdict(1000).catch(() => null))?.row ?? result.row;
  } finally {
    if (ctx) {
      result.checks = ctx.checks;
      result.notes = ctx.notes;
      result.problems.push(...ctx.checks.filter((c) => !c.ok).map((c) => `check failed: ${c.name}${c.detail ? ` (${c.detail})` : ''}`));
      result.passed = result.problems.length === 0;
      if (!result.passed) result.troubles = ctx.troubles();
      await ctx.close().catch((err: unknown) => print(`[${scenario.id}] cleanup: ${String(err)}`));
    }
    result.seconds = (Date.now() - started) / 1000;
  }
  const { row } = result;
  print(
    `[${scenario.id}] ${result.passed ? 'pass' : 'FAIL'} in ${result.seconds.toFixed(0)} s: ${row.jobs} jobs, ${row.completed} completed, ${row.failedAsExpected} failed as expected, ${row.lost} lost, ${row.duplicates} duplicates, ${row.window} sent again in the documented window, ${row.unexpected} unexpected`,
  );
  for (const check of result.checks) print(`[${scenario.id}]   ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail ? ` (${check.detail})` : ''}`);
  for (const problem of result.problems.filter((p) => !p.startsWith('check failed: '))) print(`[${scenario.id}]   ${problem}`);
  for (const line of result.troubles.slice(-20)) print(`[${scenario.id}]   log: ${line}`);
  return result;
}

/** Runs the scenarios, at most `parallel` at once, in the order given (put the slowest first). */
export async function runSuite(options: SuiteOptions): Promise<ScenarioResult[]> {
  const results = new Array<ScenarioResult>(options.scenarios.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < options.scenarios.length) {
      const index = next++;
      results[index] = await runScenario(options.scenarios[index]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, lane));
  return results;
}

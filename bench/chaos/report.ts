// The fault table, as Markdown (printed, and written to bench/results/chaos.md).
import { cpus, totalmem } from 'node:os';
import type { Scenario } from './scenario.js';
import type { ScenarioResult } from './suite.js';

export interface SuiteSummary {
  results: ScenarioResult[];
  scenarios: Scenario[];
  totalSeconds: number;
  parallel: number;
  date: Date;
}

export function passed(results: ScenarioResult[]): boolean {
  return results.every((r) => r.passed);
}

export function table(results: ScenarioResult[]): string {
  const header = '| scenario | jobs | completed | failed as expected | lost | duplicates | sent again in the documented window | unexpected failures | checks | time |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const rows = results.map((r) => {
    const checks = `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`;
    const { row } = r;
    return `| ${r.passed ? '' : '**FAIL** '}${r.title} | ${row.jobs} | ${row.completed} | ${row.failedAsExpected} | ${row.lost} | ${row.duplicates} | ${row.window} | ${row.unexpected} | ${checks} | ${r.seconds.toFixed(0)} s |`;
  });
  return [header, rule, ...rows].join('\n');
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

export function markdown(summary: SuiteSummary): string {
  const { results, scenarios } = summary;
  const lines = [
    '# Fault suite (`npm run chaos`)',
    '',
    `Run on ${summary.date.toISOString().slice(0, 10)}, ${machine()}; ${summary.parallel} scenarios at a time; total ${summary.totalSeconds.toFixed(0)} s. ${passed(results) ? 'Every scenario passed.' : '**Some scenarios failed.**'}`,
    '',
    'Each scenario runs a stream of real jobs (screenshots mailed to two people and posted to a Teams channel, PDF reports, alerts) through real `courier worker` processes on a real Redis, with a real SMTP server and the Bot Connector stand-in, injects its fault, waits for every job to finish, and counts: jobs never finished (lost), recipients of a completed job who got nothing (lost), messages received more than once by one recipient or channel for one job (duplicates), and failures other than the expected ones.',
    '',
    table(results),
    '',
    '## What each scenario proves',
    '',
    ...results.map((r) => {
      const scenario = scenarios.find((s) => s.id === r.id);
      const checks = r.checks.map((c) => `    - ${c.ok ? '✓' : '✗'} ${c.name}${c.detail && !c.ok ? ` (${c.detail})` : ''}`);
      const notes = r.notes.map((n) => `    - measured: ${n}`);
      return [`- **${r.title}**: ${scenario?.proves ?? ''}.`, ...checks, ...notes].join('\n');
    }),
  ];
  const failures = results.filter((r) => !r.passed);
  if (failures.length > 0) {
    lines.push('', '## Problems', '');
    for (const r of failures) {
      lines.push(`### ${r.title}`, '', ...r.problems.map((p) => `- ${p}`), '');
      if (r.troubles.length > 0) lines.push('Worker warnings and errors:', '', '```', ...r.troubles.slice(-40), '```', '');
    }
  }
  return `${lines.join('\n')}\n`;
}

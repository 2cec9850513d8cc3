// What `courier schedules history <id>` prints: one block per run, the
// latest due first, times in UTC (a shell's reader may be anywhere; the
// console shows local times). Pure: runs in, lines out.
import type { ScheduleRun } from './run.js';

/** `2026-12-07 07:00:00` (UTC). */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** The time of `ms`, with its date only when it differs from `sameDayAs`'s. */
function timeAfter(ms: number, sameDayAs: number): string {
  const full = utc(ms);
  return full.slice(0, 10) === utc(sameDayAs).slice(0, 10) ? full.slice(11) : full;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const OUTCOME_WIDTH = 'nothing-to-send'.length;

/** One run: a line with due, outcome, attempts and times; then what it sent, or the error. */
export function formatRun(run: ScheduleRun): string[] {
  const times = [
    run.startedAt !== null ? `started ${timeAfter(run.startedAt, run.dueAt)}` : 'not started',
    ...(run.endedAt !== null ? [`ended ${timeAfter(run.endedAt, run.dueAt)}${run.startedAt !== null ? ` (${duration(run.endedAt - run.startedAt)})` : ''}`] : []),
  ].join(', ');
  const attempts = `attempt ${run.attempts} of ${run.maxAttempts}`;
  const lines = [`${utc(run.dueAt)}  ${run.outcome.padEnd(OUTCOME_WIDTH)}  ${attempts.padEnd(14)}  ${times}`];
  if (run.recipients.length > 0) lines.push(`    to: ${run.recipients.join(', ')}`);
  if (run.error) {
    // After a successful retry the error is history: say it was an earlier attempt's.
    const label = run.outcome === 'failed' || run.outcome === 'retrying' ? 'error' : 'an earlier attempt failed';
    lines.push(`    ${label}: ${run.error.message}`);
  }
  return lines;
}

export interface HistoryHeading {
  queue: string;
  scheduleId: string;
  shown: number;
  retentionDays: number;
  maxRuns: number;
}

export function formatHistory(heading: HistoryHeading, runs: readonly ScheduleRun[]): string[] {
  const { queue, scheduleId, shown, retentionDays, maxRuns } = heading;
  const title = `${queue}/${scheduleId}: ${shown === 0 ? 'no runs recorded' : `the latest ${shown} run${shown === 1 ? '' : 's'}`} (kept ${retentionDays} days, at most ${maxRuns} runs; times in UTC)`;
  if (runs.length === 0) return [title];
  return [title, `${'due'.padEnd(19)}  ${'outcome'.padEnd(OUTCOME_WIDTH)}  ${'attempts'.padEnd(14)}  times`, ...runs.flatMap(formatRun)];
}

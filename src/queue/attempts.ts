// One line per attempt in a job's log (BullMQ's job logs, shown by the
// console's Logs tab): when it started, how long each phase took, and how
// it ended, with the error's code and phase. A failed job's reason says
// what went wrong last; these lines say what every attempt did. Pure.
import type { Phase } from '../phases.js';

export interface AttemptRecord {
  attempt: number;
  /** The job's attempts in all (BullMQ `attempts`). */
  of: number;
  outcome: 'completed' | 'retried' | 'failed';
  /** Unix ms. */
  startedAt: number;
  ms: number;
  /** Each phase's duration in ms (summed when a phase ran several times, e.g. one per page). */
  phases: Partial<Record<Phase, number>>;
  code?: string;
  phase?: Phase;
}

const PREFIX = 'courier attempt ';

export function formatAttemptRecord(record: AttemptRecord): string {
  return `${PREFIX}${JSON.stringify(record)}`;
}

/** The attempt records among a job's log lines, in order; other lines are skipped. */
export function parseAttemptRecords(lines: readonly string[]): AttemptRecord[] {
  const records: AttemptRecord[] = [];
  for (const line of lines) {
    if (!line.startsWith(PREFIX)) continue;
    try {
      const value = JSON.parse(line.slice(PREFIX.length)) as unknown;
      if (typeof value === 'object' && value !== null && typeof (value as AttemptRecord).attempt === 'number') records.push(value as AttemptRecord);
    } catch {
      // a line that only looks like a record: not ours
    }
  }
  return records;
}

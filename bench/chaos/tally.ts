// The verdict of one scenario, from plain data (no Redis, no servers): what
// each job was expected to do, where it ended, and how many messages each
// of its recipients received.
import type { QueueName } from '../../src/contracts/index.js';
import { codeOfReason, type ErrorCode } from '../../src/errors.js';

/** What a job of the stream is expected to do. */
export type Expectation =
  | { kind: 'complete' }
  /** Fail with this code, after at most `maxAttempts` attempts (1: not retried). */
  | { kind: 'fail'; code: ErrorCode; maxAttempts: number };

export interface TrackedJob {
  queue: QueueName;
  id: string;
  /** For people: "share 3", "malformed 17". */
  label: string;
  expect: Expectation;
  /** Email addresses that must each receive exactly one message from this job (none when it is expected to fail). */
  recipients: string[];
  /** Teams channel ids that must each receive exactly one post from this job. */
  channels: string[];
  /**
   * Recipients (addresses, or `channel <id>`) whose send was on the wire when
   * the worker was killed: the documented window (docs/jobs.md "Exactly
   * once") lets the retry send them a second copy, counted apart from duplicates.
   */
  window?: string[];
}

export interface FinalState {
  /** BullMQ state: completed, failed, waiting, active, delayed, … or unknown (no such job). */
  state: string;
  attemptsMade: number;
  failedReason: string | null;
}

export interface Row {
  jobs: number;
  completed: number;
  failedAsExpected: number;
  /** Failed though expected to complete, or failed otherwise than expected, or completed though expected to fail. */
  unexpected: number;
  /** Jobs that never finished (or vanished), plus recipients of a completed job who never got its message. */
  lost: number;
  /** Extra copies: a recipient or channel that received one job's message more than once counts each copy beyond the first (beyond the second in the documented window). */
  duplicates: number;
  /** Second copies sent in the documented window (a worker killed while its send was on the wire). */
  window: number;
}

export interface Verdict {
  row: Row;
  /** One sentence per problem, naming the job. */
  problems: string[];
}

export interface Received {
  /** Messages the SMTP server accepted for this address. */
  email(address: string): number;
  /** Posts the Bot Connector created in this channel. */
  teams(channelId: string): number;
}

export function tally(jobs: TrackedJob[], finals: Map<string, FinalState>, received: Received): Verdict {
  const row: Row = { jobs: jobs.length, completed: 0, failedAsExpected: 0, unexpected: 0, lost: 0, duplicates: 0, window: 0 };
  const problems: string[] = [];
  for (const job of jobs) {
    const name = `${job.label} (${job.queue}/${job.id})`;
    const final = finals.get(`${job.queue}/${job.id}`) ?? { state: 'unknown', attemptsMade: 0, failedReason: null };
    const finished = final.state === 'completed' || final.state === 'failed';
    if (!finished) {
      row.lost += 1;
      problems.push(`${name} never finished: it is ${final.state}`);
    } else if (job.expect.kind === 'complete') {
      if (final.state === 'completed') row.completed += 1;
      else {
        row.unexpected += 1;
        problems.push(`${name} failed after ${final.attemptsMade} attempt(s): ${final.failedReason ?? '(no reason)'}`);
      }
    } else {
      const { code, maxAttempts } = job.expect;
      if (final.state === 'completed') {
        row.unexpected += 1;
        problems.push(`${name} completed, but was expected to fail with ${code}`);
      } else if (codeOfReason(final.failedReason ?? '') !== code || final.attemptsMade > maxAttempts) {
        row.unexpected += 1;
        problems.push(`${name} failed after ${final.attemptsMade} attempt(s) with "${final.failedReason ?? ''}", expected ${code} within ${maxAttempts} attempt(s)`);
      } else {
        row.failedAsExpected += 1;
      }
    }

    const counts = [
      ...job.recipients.map((address) => ({ who: address, count: received.email(address) })),
      ...job.channels.map((channel) => ({ who: `channel ${channel}`, count: received.teams(channel) })),
    ];
    for (const { who, count } of counts) {
      const allowed = job.window?.includes(who) === true ? 2 : 1;
      if (allowed === 2 && count === 2) row.window += 1;
      if (count > allowed) {
        row.duplicates += count - allowed;
        problems.push(`${name}: ${who} received ${count} copies`);
      } else if (count === 0 && final.state === 'completed' && job.expect.kind === 'complete') {
        row.lost += 1;
        problems.push(`${name} completed, but ${who} received nothing`);
      }
    }
  }
  return { row, problems };
}

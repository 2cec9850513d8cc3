// One run of a schedule, as the history keeps it: pure data and the pure
// rules that make it, so the worker, the command line and the console read
// the same thing (no Redis here; store.ts keeps it).
//
// A run is one scheduled occurrence: the BullMQ job a job scheduler made for
// one due time (its id is `repeat:<scheduler>:<due ms>`). Each attempt of that
// job updates the same record, so a retried attempt and the final one never
// make two records: the record says "retrying" with the attempt's error, then
// ends as delivered, nothing-to-send or failed.
import type { QueueName } from '../contracts/queues.js';
import type { JobResult } from '../contracts/result.js';

/** How a run ended. The metric's `outcome` label takes these values. */
export const FINAL_OUTCOMES = ['delivered', 'nothing-to-send', 'failed'] as const;
export type FinalOutcome = (typeof FINAL_OUTCOMES)[number];

/** `running`: an attempt is in progress; `retrying`: an attempt failed and another will follow. */
export type RunOutcome = 'running' | 'retrying' | FinalOutcome;

export function isFinalOutcome(outcome: string): outcome is FinalOutcome {
  return (FINAL_OUTCOMES as readonly string[]).includes(outcome);
}

/** Which run of which schedule a job is. */
export interface RunRef {
  queue: QueueName;
  /** The job scheduler's id (a schedule file's `id`, or the backend's own scheduler key). */
  scheduleId: string;
  /** The BullMQ job id: one per scheduled occurrence, the same for every attempt. */
  runId: string;
  /** When the run was due (ms since the epoch). */
  dueAt: number;
}

export interface RunError {
  /** The CONTRACT §5 code (`SELECTOR_TIMEOUT`, …), or `UNEXPECTED`. */
  code: string;
  /** The reason as the job gave it (a token never appears in one), cut at MAX_ERROR_CHARS. */
  message: string;
}

/** One recorded run, as readers see it. Times are ms since the epoch. */
export interface ScheduleRun {
  queue: QueueName;
  scheduleId: string;
  runId: string;
  dueAt: number;
  /** When the first attempt started (null while the job still waits). */
  startedAt: number | null;
  /** When the last attempt ended (null while one runs). */
  endedAt: number | null;
  outcome: RunOutcome;
  /** Attempts made so far, counting the one in progress; and how many the job may make. */
  attempts: number;
  maxAttempts: number;
  /** The last failed attempt's error (kept after a successful retry: it says why the run was late). */
  error: RunError | null;
  /** Who the run's messages went to: email addresses, and `teams:<channel id>`. */
  recipients: string[];
}

/** Error messages can hold a whole page's diagnosis; the history keeps their start. */
export const MAX_ERROR_CHARS = 1000;

/** What a job made by a scheduler looks like to the history (a BullMQ Job fits). */
export interface ScheduledJobLike {
  id?: string;
  queueName: string;
  repeatJobKey?: string;
  timestamp: number;
  opts: { prevMillis?: number; delay?: number };
}

/** The run a job is, or null for a job no scheduler made. */
export function runRefOf(job: ScheduledJobLike, isQueue: (name: string) => name is QueueName): RunRef | null {
  if (job.repeatJobKey === undefined || job.id === undefined || !isQueue(job.queueName)) return null;
  // BullMQ puts the due time in opts.prevMillis; without it, creation plus delay is the same instant.
  const dueAt = typeof job.opts.prevMillis === 'number' ? job.opts.prevMillis : job.timestamp + (job.opts.delay ?? 0);
  return { queue: job.queueName, scheduleId: job.repeatJobKey, runId: job.id, dueAt };
}

/** delivered when anyone was sent (or had already been sent) a message; an alert whose condition did not call for one has nothing to send. */
export function outcomeOf(result: Pick<JobResult, 'deliveries' | 'notified'>): FinalOutcome {
  if (result.notified === false) return 'nothing-to-send';
  return result.deliveries.length > 0 ? 'delivered' : 'nothing-to-send';
}

/** Everyone the result's deliveries reached, each once, in order. */
export function recipientsOf(result: Pick<JobResult, 'deliveries'>): string[] {
  const all = result.deliveries.flatMap((d) => (d.type === 'email' ? d.to : [`teams:${d.channelId}`]));
  return [...new Set(all)];
}

/** A job's failure reason (`CODE: sentence`) as code and message. */
export function errorOf(reason: string): RunError {
  const match = /^([A-Z][A-Z_]+):\s/.exec(reason);
  const message = reason.length > MAX_ERROR_CHARS ? `${reason.slice(0, MAX_ERROR_CHARS - 1)}…` : reason;
  return { code: match?.[1] ?? 'UNEXPECTED', message };
}

// Feeds the schedule history (src/history/) from a queue Worker's own events:
// `active` (an attempt starts), `completed` and `failed` (it ends). Only jobs
// made by a job scheduler are recorded; the record is keyed by the job, so
// every attempt of one scheduled occurrence updates one run: a retried
// attempt reads "retrying" until the next one starts, and only the last
// attempt gives the run its outcome (delivered, nothing-to-send, failed).
//
// A failure to write the history is logged and never fails the job: the run
// happened whether or not its record could be kept.
import type { Job, Queue, Worker } from 'bullmq';
import { isQueueName } from '../contracts/index.js';
import { jobResult } from '../contracts/result.js';
import { errorMessage } from '../errors.js';
import { errorOf, outcomeOf, recipientsOf, runRefOf, type LastRun, type ScheduleHistory } from '../history/store.js';
import type { Logger } from '../log.js';
import type { RedisClient } from '../redis/connection.js';

function maxAttemptsOf(job: Job): number {
  return job.opts.attempts ?? 1;
}

export function recordScheduleRuns(worker: Worker, history: ScheduleHistory, log: Logger, now: () => number = Date.now): void {
  const keep = (job: Job, what: string, work: (ref: NonNullable<ReturnType<typeof runRefOf>>) => Promise<void>): void => {
    const ref = runRefOf(job, isQueueName);
    if (!ref) return;
    work(ref).catch((err: unknown) => log.warn({ queue: ref.queue, schedule: ref.scheduleId, jobId: ref.runId, err: errorMessage(err) }, `schedule history: ${what} not recorded`));
  };

  worker.on('active', (job) => {
    keep(job, 'attempt start', (ref) => history.attemptStarted(ref, { attempt: job.attemptsMade + 1, maxAttempts: maxAttemptsOf(job), at: job.processedOn ?? now() }));
  });

  // After moveToCompleted/moveToFailed, attemptsMade counts the attempt that just ended.
  worker.on('completed', (job, result: unknown) => {
    keep(job, 'run', (ref) => {
      const parsed = jobResult.safeParse(result);
      const value = parsed.success ? parsed.data : { deliveries: [] };
      return history.attemptEnded(ref, {
        attempt: job.attemptsMade,
        maxAttempts: maxAttemptsOf(job),
        at: job.finishedOn ?? now(),
        outcome: outcomeOf(value),
        recipients: recipientsOf(value),
      });
    });
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    // BullMQ sets finishedOn only when the job is done for good (no retry follows).
    const final = job.finishedOn !== undefined && job.finishedOn !== null;
    keep(job, final ? 'failed run' : 'failed attempt', (ref) =>
      history.attemptEnded(ref, {
        attempt: job.attemptsMade,
        maxAttempts: maxAttemptsOf(job),
        at: job.finishedOn ?? now(),
        outcome: final ? 'failed' : 'retrying',
        error: errorOf(err.message),
        recipients: [],
      }),
    );
  });
}

/**
 * The history's last-run times of schedules whose job scheduler still exists:
 * a removed schedule stops having series (and stops looking undelivered).
 * The scheduler ids are read from BullMQ's `repeat` set directly, one ZRANGE
 * per queue: getJobSchedulers() reads every scheduler's hash, and deletes
 * those it cannot read, which a scrape must not do.
 */
export async function lastRunsOfLiveSchedules(history: ScheduleHistory, redis: RedisClient, queues: readonly Queue[]): Promise<LastRun[]> {
  const [runs, live] = await Promise.all([
    history.lastRuns(),
    Promise.all(queues.map(async (q) => [q.name, new Set(await redis.zrange(q.toKey('repeat'), 0, -1))] as const)),
  ]);
  const byQueue = new Map<string, Set<string>>(live);
  return runs.filter((run) => byQueue.get(run.queue)?.has(run.scheduleId) === true);
}

// How long the oldest job of a queue has been waiting for a worker
// (courier_queue_oldest_waiting_seconds; Taskforce calls it the backlog).
//
// BullMQ does not record when a job entered the wait list, so it is told
// from the job: a new job waits from its creation plus its delay (for a
// scheduler's job, the time it was due); a retried one from the start of its
// last attempt plus its backoff (its attempt's length too much, never too
// little). Jobs looked at, in one round trip each: the oldest of the wait
// list (served first in, first out), both ends of the prioritized set, and
// the earliest delayed job, which waits once its time has passed: when no
// worker consumes a queue, nobody moves its due jobs to the wait list, and
// they must count all the same.
import type { Job, Queue } from 'bullmq';

/** What of a job tells when it started waiting (a BullMQ Job fits). */
export interface WaitingJobLike {
  timestamp: number;
  delay: number;
  attemptsMade: number;
  processedOn?: number;
  opts: { delay?: number };
}

/** When a job started waiting (ms since the epoch). */
export function waitingSince(job: WaitingJobLike): number {
  const due = job.timestamp + (job.opts.delay ?? 0);
  if (job.processedOn === undefined) return due;
  // Ran before: a retry waits from its backoff's end; a stalled job, put back, from the start of its lost attempt.
  const back = job.processedOn + (job.attemptsMade > 0 ? job.delay : 0);
  return Math.max(due, back);
}

/** Seconds the longest-waiting of these jobs has waited by `now`; 0 when none waits yet. */
export function oldestWaitingSeconds(jobs: readonly WaitingJobLike[], now: number): number {
  const since = jobs.map(waitingSince).filter((t) => t <= now);
  return since.length === 0 ? 0 : (now - Math.min(...since)) / 1000;
}

export async function queueOldestWaitingSeconds(queue: Queue, now: () => number = Date.now): Promise<number> {
  const pick = (types: Parameters<Queue['getJobs']>[0], asc: boolean) => queue.getJobs(types, 0, 0, asc);
  const found = await Promise.all([pick(['wait'], true), pick(['prioritized'], true), pick(['prioritized'], false), pick(['delayed'], true)]);
  return oldestWaitingSeconds(found.flat().filter((job): job is Job => job !== undefined), now());
}

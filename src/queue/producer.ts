// The producer side for Node callers and `courier enqueue`: validate a job
// against its queue's contract, add it with courier's defaults, and
// optionally wait for its result.
//
//   const producer = createProducer({ config });
//   const { id } = await producer.enqueue('screenshot', { url: '/demo?slide=sales' });
//   const result = await producer.enqueueAndWait('screenshot', job, { timeoutMs: 120_000 });
//   await producer.close();
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Config } from '../config.js';
import { JOB_SCHEMAS, describeIssues, type QueueName } from '../contracts/index.js';
import type { AlertJobInput } from '../contracts/alert.js';
import type { PdfReportJobInput } from '../contracts/pdf-report.js';
import type { JobResult } from '../contracts/result.js';
import type { ScreenshotJobInput } from '../contracts/screenshot.js';
import { withTimeout } from '../deadline.js';
import { CourierError, codeOfReason, type ErrorCode } from '../errors.js';
import { createAlertStore } from '../alerts/store.js';
import { bullConnection, closeQuietly, createRedisClient, queueClient, replicaConfirmer, type BullConnection } from '../redis/connection.js';
import { createLogger, type Logger } from '../log.js';

/** What a producer writes for each queue (defaults may be left out). */
export interface JobInputByQueue {
  screenshot: ScreenshotJobInput;
  'pdf-report': PdfReportJobInput;
  alert: AlertJobInput;
}

/**
 * Defaults every courier producer uses (CONTRACT §3): 3 attempts, backoff
 * 5 s, 10 s, 20 s. How long finished jobs are kept is left to the worker
 * (JOBS_KEEP_COMPLETED_DAYS, JOBS_KEEP_FAILED_DAYS): one setting, in one
 * place, for every job that does not say otherwise.
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
} as const satisfies JobsOptions;

/** BullMQ options a caller may override per job. */
export type EnqueueOptions = Pick<JobsOptions, 'attempts' | 'backoff' | 'delay' | 'priority' | 'jobId' | 'removeOnComplete' | 'removeOnFail'>;

/** INVALID_JOB with the list of problems, one per line for people. */
export class InvalidJobError extends CourierError {
  readonly problems: string[];
  constructor(queue: QueueName, problems: string[]) {
    super('INVALID_JOB', `the ${queue} job does not match the contract (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
    this.name = 'InvalidJobError';
    this.problems = problems;
  }
}

/** The job failed after its last attempt; `reason` is the coded reason (CONTRACT §5). */
export class JobFailedError extends Error {
  readonly jobId: string;
  readonly reason: string;
  readonly code: ErrorCode | undefined;
  constructor(jobId: string, reason: string) {
    super(reason);
    this.name = 'JobFailedError';
    this.jobId = jobId;
    this.reason = reason;
    this.code = codeOfReason(reason);
  }
}

/** The wait ended before the job did; the job stays queued and may still finish. */
export class WaitTimeoutError extends Error {
  readonly jobId: string;
  constructor(jobId: string, timeoutMs: number) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms; it is still in the queue and may finish later`);
    this.name = 'WaitTimeoutError';
    this.jobId = jobId;
  }
}

/** Every problem of a payload, or an empty list when it is valid. */
export function checkJob(queue: QueueName, data: unknown): string[] {
  const result = JOB_SCHEMAS[queue].safeParse(data);
  return result.success ? [] : describeIssues(result.error);
}

export interface ProducerOptions {
  config: Pick<Config, 'redisUrl' | 'queuePrefix'>;
  /** Where a warning goes when no replica acknowledges an added job (default: warnings on stderr). */
  log?: Logger;
}

export interface Producer {
  /** Validates, then adds the job. Throws InvalidJobError (nothing added) for an invalid payload. */
  enqueue<Q extends QueueName>(queue: Q, data: JobInputByQueue[Q], options?: EnqueueOptions): Promise<{ id: string }>;
  /**
   * Adds the job and resolves with its result once it completes; rejects
   * with JobFailedError after the last attempt fails, or WaitTimeoutError.
   */
  enqueueAndWait<Q extends QueueName>(queue: Q, data: JobInputByQueue[Q], options?: EnqueueOptions & WaitOptions & { timeoutMs?: number }): Promise<{ id: string; result: JobResult }>;
  /** Waits for a job already added. */
  waitFor(queue: QueueName, jobId: string, timeoutMs?: number, options?: WaitOptions): Promise<JobResult>;
  /**
   * Creates or updates a job scheduler from code (e.g. one per alert, id
   * `alert-<alertId>`), after validating its data. `courier schedules sync`
   * never touches schedulers made this way.
   */
  upsertSchedule<Q extends QueueName>(queue: Q, id: string, timing: ScheduleTiming, data: JobInputByQueue[Q]): Promise<void>;
  /** Removes a scheduler (its next run included); false when there was none. */
  removeSchedule(queue: QueueName, id: string): Promise<boolean>;
  /**
   * Deletes an alert: its scheduler `scheduleId`, then its state, outbox and
   * attempts in Redis (an evaluation in flight cannot write them back).
   */
  deleteAlert(alertId: string, scheduleId?: string): Promise<void>;
  close(): Promise<void>;
}

/** One failed attempt of a job that will be retried (`enqueue --wait` prints each as it happens). */
export interface AttemptFailure {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Attempts the job has in all. */
  attempts: number;
  /** The coded reason (CONTRACT §5). */
  reason: string;
  /** When the next attempt may start (ms since the epoch), or null when it is queued at once or not known. */
  retryAt: number | null;
}

export interface WaitOptions {
  /** Called after each failed attempt that will be retried; the last one rejects the wait instead. */
  onAttemptFailed?: (failure: AttemptFailure) => void;
}

/** When a scheduler runs: a cron expression in a time zone, or a fixed interval in ms. */
export type ScheduleTiming = { cron: string; tz?: string } | { every: number };

export function createProducer({ config, log = createLogger('warn') }: ProducerOptions): Producer {
  const queues = new Map<QueueName, { queue: Queue; connection: BullConnection }>();
  const events = new Map<QueueName, QueueEvents>();
  const connections: BullConnection[] = [];
  const connect = (role: 'blocking' | 'producer'): BullConnection => {
    const connection = bullConnection(config, role);
    connections.push(connection);
    return connection;
  };
  /** One per Queue client: WAIT must run on the connection that wrote. */
  const confirmers = new Map<QueueName, () => Promise<void>>();
  /**
   * On Sentinel and Cluster an added job is only reported added once a
   * replica has it: a failover right after cannot lose it (connection.ts).
   */
  const confirmAdded = async (name: QueueName): Promise<void> => {
    let confirm = confirmers.get(name);
    if (!confirm) {
      const { queue, connection } = entryOf(name);
      confirm = replicaConfirmer(await queueClient(queue, connection), { config, log });
      confirmers.set(name, confirm);
    }
    await confirm();
  };

  const entryOf = (name: QueueName): { queue: Queue; connection: BullConnection } => {
    let entry = queues.get(name);
    if (!entry) {
      const connection = connect('producer');
      const queue = new Queue(name, { connection: connection.connection, prefix: config.queuePrefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      // Each pending waitFor() holds one 'closing' listener (BullMQ's
      // waitUntilFinished), released when the job finishes: many concurrent
      // waits are normal, not a leak.
      queue.setMaxListeners(0);
      // A connection error reaches the caller through the command that fails
      // (enqueue rejects); without a listener, BullMQ would also print every
      // reconnection attempt to stderr while Redis restarts.
      queue.on('error', () => undefined);
      entry = { queue, connection };
      queues.set(name, entry);
    }
    return entry;
  };
  const queueOf = (name: QueueName): Queue => entryOf(name).queue;

  const eventsOf = async (name: QueueName): Promise<QueueEvents> => {
    let queueEvents = events.get(name);
    if (!queueEvents) {
      // QueueEvents blocks on XREAD, so it needs a connection that waits.
      queueEvents = new QueueEvents(name, { connection: connect('blocking').connection, prefix: config.queuePrefix });
      queueEvents.on('error', () => undefined); // it reconnects by itself; a pending waitFor() keeps waiting
      events.set(name, queueEvents);
    }
    await queueEvents.waitUntilReady();
    return queueEvents;
  };

  const enqueue = async <Q extends QueueName>(name: Q, data: JobInputByQueue[Q], options: EnqueueOptions = {}): Promise<{ id: string }> => {
    const problems = checkJob(name, data);
    if (problems.length > 0) throw new InvalidJobError(name, problems);
    // The payload is stored as given: the worker validates it again and
    // applies defaults with the contract version it runs.
    const job = await queueOf(name).add(name, data, options);
    if (job.id === undefined) throw new Error(`BullMQ returned no id for the ${name} job`);
    await confirmAdded(name);
    return { id: job.id };
  };

  /**
   * A failed attempt that BullMQ retries moves the job to `delayed` (with a
   * backoff) or back to `waiting` (without); the job then holds that
   * attempt's reason. Each is reported once, by its attempt number.
   */
  const watchAttempts = (name: QueueName, queueEvents: QueueEvents, jobId: string, report: (failure: AttemptFailure) => void): { look: (retryAt: number | null) => void; stop: () => void } => {
    let reported = 0;
    const look = (retryAt: number | null): void => {
      void queueOf(name)
        .getJob(jobId)
        .then((job) => {
          // A finished job's last failure is the wait's own rejection, not a retry.
          if (!job || job.finishedOn || job.attemptsMade <= reported || !job.failedReason) return;
          reported = job.attemptsMade;
          report({ jobId, attempt: job.attemptsMade, attempts: job.opts.attempts ?? 1, reason: job.failedReason, retryAt });
        })
        .catch(() => undefined); // only a progress report: the wait itself says what went wrong
    };
    const onDelayed = ({ jobId: id, delay }: { jobId: string; delay: number }): void => {
      if (id === jobId) look(Number(delay));
    };
    const onWaiting = ({ jobId: id, prev }: { jobId: string; prev?: string }): void => {
      if (id === jobId && prev === 'active') look(null);
    };
    queueEvents.on('delayed', onDelayed);
    queueEvents.on('waiting', onWaiting);
    return {
      look,
      stop: () => {
        queueEvents.off('delayed', onDelayed);
        queueEvents.off('waiting', onWaiting);
      },
    };
  };

  const waitFor = async (name: QueueName, jobId: string, timeoutMs?: number, options: WaitOptions = {}): Promise<JobResult> => {
    const queueEvents = await eventsOf(name);
    const watch = options.onAttemptFailed ? watchAttempts(name, queueEvents, jobId, options.onAttemptFailed) : null;
    try {
      const job = await queueOf(name).getJob(jobId);
      if (!job) throw new Error(`no job ${jobId} in the ${name} queue (it may have been removed)`);
      // An attempt that failed before this wait began (its event came before the subscription).
      watch?.look(null);
      try {
        const finished = job.waitUntilFinished(queueEvents) as Promise<JobResult>;
        return await (timeoutMs === undefined ? finished : withTimeout(finished, timeoutMs, () => new WaitTimeoutError(jobId, timeoutMs)));
      } catch (err) {
        if (err instanceof WaitTimeoutError) throw err;
        // waitUntilFinished rejects with an Error whose message is the failed reason.
        throw new JobFailedError(jobId, err instanceof Error ? err.message : String(err));
      }
    } finally {
      watch?.stop();
    }
  };

  const upsertSchedule = async <Q extends QueueName>(name: Q, id: string, timing: ScheduleTiming, data: JobInputByQueue[Q]): Promise<void> => {
    const problems = checkJob(name, data);
    if (problems.length > 0) throw new InvalidJobError(name, problems);
    const repeat = 'cron' in timing ? { pattern: timing.cron, ...(timing.tz ? { tz: timing.tz } : {}) } : { every: timing.every };
    await queueOf(name).upsertJobScheduler(id, repeat, { name, data, opts: DEFAULT_JOB_OPTIONS });
  };

  const removeSchedule = (name: QueueName, id: string): Promise<boolean> => queueOf(name).removeJobScheduler(id);

  return {
    enqueue,
    waitFor,
    upsertSchedule,
    removeSchedule,
    async deleteAlert(alertId, scheduleId = `alert-${alertId}`) {
      // The schedule first, so no new evaluation starts; then the state.
      await removeSchedule('alert', scheduleId);
      const redis = createRedisClient(config);
      try {
        await createAlertStore({ redis, prefix: config.queuePrefix }).deleteAlert(alertId);
      } finally {
        redis.disconnect();
      }
    },
    async enqueueAndWait(name, data, { timeoutMs, onAttemptFailed, ...options } = {}) {
      // Subscribe before adding, so a fast job's completion is not missed.
      await eventsOf(name);
      const { id } = await enqueue(name, data, options);
      return { id, result: await waitFor(name, id, timeoutMs, { onAttemptFailed }) };
    },
    async close() {
      await Promise.all([...events.values()].map(closeQuietly));
      await Promise.all([...queues.values()].map(({ queue }) => closeQuietly(queue)));
      for (const c of connections) c.release();
    },
  };
}

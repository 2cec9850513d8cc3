// BullMQ consumers: one Worker per queue, all sharing one browser pool.
//
// Around every processor call, in one place: payload validation (INVALID_JOB),
// the JOB_TIMEOUT_MS deadline, the start and end log lines, metrics, and the
// mapping of coded errors to BullMQ's retry rules (CONTRACT §5): an error
// that is not retried becomes UnrecoverableError, with the same message.
//
// Concurrency: each queue's Worker may hold up to CONCURRENCY jobs, and the
// browser pool lets CONCURRENCY pages render at once across all queues. So
// a burst on one queue never starves another (each queue keeps fetching on
// its own), pages never exceed CONCURRENCY, and a job that waits for a page
// waits in memory for at most the time of the renders ahead of it. The price
// is that, when several queues are busy at once, a process holds up to
// 3 × CONCURRENCY jobs; another worker process could have taken some of them.
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Renderer } from '../browser/types.js';
import type { Config } from '../config.js';
import { isQueueName, validateJob, type QueueName } from '../contracts/index.js';
import { jobResult, type JobResult } from '../contracts/result.js';
import { startAttempt } from '../deadline.js';
import { SEND_SETTLE_MARGIN_MS } from '../delivery/ledger.js';
import { CourierError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { observeAll, phaseOf, type Phase, type PhaseObserver } from '../phases.js';
import type { Metrics } from '../server/metrics.js';
import type { Processor, ProcessorDeps, ProcessorJob, ProcessorRegistry } from '../processors/types.js';
import { closeWorker } from './close-worker.js';
import { bullConnection } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { scrubFinishedJob } from './scrub.js';
import { formatAttemptRecord, type AttemptRecord } from './attempts.js';
import type { ScheduleHistory } from '../history/store.js';
import { recordScheduleRuns } from './history-recorder.js';

/**
 * Locks for renders of tens of seconds. The lock lasts 30 s and is renewed
 * every 15 s while the job runs, so a healthy long job never loses it. When
 * a worker dies (kill -9), its lock expires within 30 s, and the stall check
 * (every 15 s, by any live worker) puts the job back in the queue: another
 * worker picks it up within ~15–45 s. A job that stalls more than twice
 * fails instead of crashing workers forever.
 */
export const LOCK_SETTINGS = {
  lockDuration: 30_000,
  stalledInterval: 15_000,
  maxStalledCount: 2,
} as const;

export type WorkerDeps = Omit<ProcessorDeps, 'signal' | 'attempt' | 'observePhase' | 'config'> & {
  config: ProcessorDeps['config'] & Pick<Config, 'redisUrl' | 'queuePrefix' | 'keepCompletedJobsSeconds' | 'keepFailedJobsSeconds' | 'sendTimeoutMs'>;
  processors: ProcessorRegistry;
  metrics: Metrics;
  /** The clock a job's attempt starts by (ProcessorJob.startedAt, hence alert cooldowns); tests move it instead of waiting. */
  now?: () => number;
  /** The job data a schedule makes its runs from (BullMQ's scheduler template), for a run retried after its token was scrubbed. */
  schedulerData?: (queue: QueueName, schedulerId: string) => Promise<unknown>;
  /** Where each scheduled run is recorded (`courier schedules history`); none: not recorded. */
  history?: ScheduleHistory;
};

export interface QueueWorkersOptions {
  queues: QueueName[];
  /** Jobs each queue's Worker may hold at once (pages are bounded by the pool). */
  concurrency: number;
  lock?: Partial<typeof LOCK_SETTINGS>;
}

export interface QueueWorkers {
  workers: Worker[];
  /** Stops taking jobs, waits for active ones (each bounded by JOB_TIMEOUT_MS), closes the Redis connections. */
  close(): Promise<void>;
}

function smallAppOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const value = (data as Record<string, unknown>).smallApp;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The renderer as one job sees it: every render request carries the job's
 * logger (so the renderer's lines about the story name the job) and its
 * phase observer (metrics, and which phase the job is in).
 */
function jobRenderer(renderer: Renderer, log: Logger, onPhase: PhaseObserver): Renderer {
  return { render: (request) => renderer.render({ ...request, log, onPhase: observeAll(request.onPhase, onPhase) }) };
}

/** One attempt of one job: everything between BullMQ and the processor. */
export async function runJob(deps: WorkerDeps, job: Job, cancel?: AbortSignal): Promise<JobResult> {
  const { config } = deps;
  if (!isQueueName(job.queueName)) throw new UnrecoverableError(`no processor for queue ${job.queueName}`);
  const queue = job.queueName;
  const jobId = job.id ?? '(no id)';
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const attempt = job.attemptsMade + 1;
  const maxAttempts = job.opts.attempts ?? 1;
  const queuedMs = Math.max(0, (job.processedOn ?? startedAt) - job.timestamp);
  const log = deps.log.child({ queue, jobId, attempt, smallApp: smallAppOf(job.data) });
  log.info({ maxAttempts, queuedMs }, 'job started');

  const controller = new AbortController();
  const deadline = setTimeout(() => {
    controller.abort(
      new CourierError(
        'JOB_TIMEOUT',
        `the job did not finish within JOB_TIMEOUT_MS (${config.jobTimeoutMs} ms); it will be retried. Raise JOB_TIMEOUT_MS if such stories are slow by nature, or the job's timeoutMs if the story itself is slow`,
      ),
    );
  }, config.jobTimeoutMs);
  const onCancel = () => controller.abort(cancel?.reason);
  cancel?.addEventListener('abort', onCancel, { once: true });
  // At the deadline, rendering and waits stop at once; a send already on the
  // wire gets the send grace to finish and write its receipt, the job's lock
  // still renewed meanwhile (the processor has not returned), and only then
  // does the attempt end: its retry can never deliver beside it.
  const life = startAttempt({
    stop: controller.signal,
    graceMs: config.sendTimeoutMs + SEND_SETTLE_MARGIN_MS,
    endedReason: () => new CourierError('JOB_TIMEOUT', `the attempt ended: the send in flight at JOB_TIMEOUT_MS did not settle within the send grace (SEND_TIMEOUT_MS ${config.sendTimeoutMs} ms); its outcome is unknown`),
    onGrace: (inFlight) => log.warn({ inFlight, graceMs: config.sendTimeoutMs + SEND_SETTLE_MARGIN_MS }, 'JOB_TIMEOUT_MS passed with a delivery in flight: nothing new starts; waiting for the send on the wire to finish and its receipt to be written before the attempt ends'),
  });
  // The phase the job is in (for an error that escapes untagged, such as the deadline), and every phase's duration.
  let currentPhase: Phase = 'validate';
  const phaseMs: Partial<Record<Phase, number>> = {};
  const observePhase: PhaseObserver = (phase, ms, event) => {
    if (event === 'started') currentPhase = phase;
    else {
      deps.metrics.observePhase(queue, phase, ms, event);
      phaseMs[phase] = (phaseMs[phase] ?? 0) + ms;
    }
  };
  const record = (fields: Omit<AttemptRecord, 'attempt' | 'of' | 'startedAt' | 'ms' | 'phases'>): Promise<void> =>
    logAttempt(job, { attempt, of: maxAttempts, startedAt, ms: now() - startedAt, phases: phaseMs, ...fields }, log);

  try {
    const data = validateJob(queue, await withScheduleToken(deps, job, queue));
    // Receipts outlive a job (7 days); BullMQ's numbered ids restart when a
    // queue is emptied, so the key also names the queue and the creation time.
    const deliveryKey = `${queue}:${jobId}:${job.timestamp}`;
    const processorJob: ProcessorJob = { id: jobId, deliveryKey, queue, data, attempt, maxAttempts, createdAt: job.timestamp, startedAt };
    // A scheduler's job carries the time it was due (BullMQ's prevMillis).
    if (job.repeatJobKey !== undefined && typeof job.opts.prevMillis === 'number') processorJob.scheduledAt = job.opts.prevMillis;
    // The registry maps each queue to its own processor; TypeScript cannot
    // follow that correlation through a union key, hence the cast.
    const processor = deps.processors[queue] as Processor<typeof queue>;
    const renderer = jobRenderer(deps.renderer, log, observePhase);
    const result = await life.run(processor(processorJob, { ...deps, renderer, log, observePhase, signal: controller.signal, attempt: life }));
    const withQueue: JobResult = { ...result, timings: { queuedMs, ...result.timings } };
    // A result that breaks the contract is a bug here, not the job's fault; say so loudly.
    const checked = jobResult.safeParse(withQueue);
    if (!checked.success) throw new Error(`the ${queue} processor returned a result outside the contract: ${checked.error.message}`);
    const totalMs = now() - startedAt;
    deps.metrics.countJob(queue, 'completed');
    deps.metrics.observePhase(queue, 'queued', queuedMs, 'ok');
    deps.metrics.observePhase(queue, 'total', totalMs, 'ok');
    const refused = checked.data.diagnostics?.refused ?? [];
    log.info(
      { outcome: 'completed', timings: checked.data.timings, totalMs, artifacts: checked.data.artifacts.map((a) => a.path), deliveries: checked.data.deliveries.length, ...(refused.length > 0 ? { refused } : {}) },
      'job completed',
    );
    await record({ outcome: 'completed' });
    return checked.data;
  } catch (err) {
    const unrecoverable = err instanceof UnrecoverableError || (err instanceof CourierError && !err.retried);
    const final = unrecoverable || attempt >= maxAttempts;
    const outcome = final ? 'failed' : 'retried';
    const code = err instanceof CourierError ? err.code : 'UNEXPECTED';
    const phase = phaseOf(err) ?? currentPhase;
    deps.metrics.countJob(queue, outcome);
    deps.metrics.countJobError(queue, code, phase);
    deps.metrics.observePhase(queue, 'total', now() - startedAt, 'failed');
    const level = final ? 'error' : 'warn';
    log[level]({ outcome, code, phase, reason: errorMessage(err), totalMs: now() - startedAt, willRetry: !final }, final ? 'job failed' : 'job attempt failed; it will be retried');
    await record({ outcome, code, phase });
    if (err instanceof CourierError && !err.retried) throw new UnrecoverableError(err.message);
    throw err;
  } finally {
    // Whatever of this attempt is still pending (a render that ignored the signal) is refused from now on.
    life.end();
    clearTimeout(deadline);
    cancel?.removeEventListener('abort', onCancel);
  }
}

/**
 * A scheduled run retried by hand after its last failure: the scrub
 * (scrub.ts) removed its token, but its schedule still holds one (each run
 * needs it), so the retry gets it back from there. Any other job keeps
 * what it has.
 */
async function withScheduleToken(deps: WorkerDeps, job: Job, queue: QueueName): Promise<unknown> {
  const data: unknown = job.data;
  if (job.repeatJobKey === undefined || !deps.schedulerData || typeof data !== 'object' || data === null || 'auth' in data) return data;
  const template = await deps.schedulerData(queue, job.repeatJobKey).catch(() => undefined);
  const auth = typeof template === 'object' && template !== null ? (template as Record<string, unknown>).auth : undefined;
  return auth === undefined ? data : { ...data, auth };
}

/** Writes one attempt's record to the job's log (BullMQ job logs), where the console and `courier jobs show` read it. */
async function logAttempt(job: Job, attempt: AttemptRecord, log: Logger): Promise<void> {
  try {
    await job.log(formatAttemptRecord(attempt));
  } catch (err) {
    log.debug({ err: errorMessage(err) }, 'could not write the attempt record to the job log');
  }
}

export function startQueueWorkers(deps: WorkerDeps, options: QueueWorkersOptions): QueueWorkers {
  const { config } = deps;
  const lock = { ...LOCK_SETTINGS, ...options.lock };
  let draining = false;
  /**
   * BullMQ can still hand over a job that arrived in the instant between
   * close() and the end of its blocking fetch. Such a job is put straight
   * back in the queue, untouched, for another worker: after SIGTERM no job
   * starts here.
   */
  const handBack = async (job: Job, token: string): Promise<never> => {
    await job.moveToWait(token);
    deps.log.info({ queue: job.queueName, jobId: job.id }, 'job handed back to the queue: this worker is draining');
    throw new WaitingError();
  };
  /** This process's jobs in progress (handed back ones included), so close() knows when only BullMQ's own polling is left. */
  const inProgress = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inProgress.add(work);
    void work.finally(() => inProgress.delete(work)).catch(() => undefined);
    return work;
  };
  const connections = options.queues.map(() => bullConnection(config, 'blocking'));
  const workers = options.queues.map((queue, i) => {
    const worker = new Worker(queue, (job, token, signal) => track(draining && token !== undefined ? handBack(job, token) : runJob(deps, job, signal)), {
      connection: connections[i]!.connection,
      prefix: config.queuePrefix,
      concurrency: options.concurrency,
      name: `${hostname()}:${process.pid}`,
      ...lock,
      // For jobs added without these options (e.g. by another producer), so Redis does not keep every job forever.
      removeOnComplete: { age: config.keepCompletedJobsSeconds, count: 10_000 },
      removeOnFail: { age: config.keepFailedJobsSeconds, count: 10_000 },
    });
    // A finished job keeps no token (its last attempt is over; nothing will run it again).
    worker.on('completed', (job) => void scrubFinishedJob(job, deps.log));
    worker.on('failed', (job) => {
      if (job?.finishedOn) void scrubFinishedJob(job, deps.log);
    });
    // The real reason (MOVED, READONLY, auth, TLS, refused…), not a guess; repeated while it lasts.
    worker.on('error', (err) => {
      const { problem, reason } = explainRedisError(err);
      deps.log.warn({ queue, problem, reason, err: errorMessage(err) }, `queue worker error: ${reason}; it keeps retrying`);
    });
    if (deps.history) recordScheduleRuns(worker, deps.history, deps.log);
    worker.on('stalled', (jobId) => deps.log.warn({ queue, jobId }, 'job stalled (its worker stopped renewing the lock); back in the queue for another worker'));
    return worker;
  });
  return {
    workers,
    async close() {
      draining = true;
      const jobsOver = Promise.allSettled([...inProgress]);
      await Promise.all(workers.map((w) => closeWorker(w, jobsOver)));
      for (const c of connections) c.release();
    },
  };
}

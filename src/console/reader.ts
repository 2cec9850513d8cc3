// courier's jobs as the console and `courier jobs` read them: by queue and
// state, one job by id (with its log, its delivery receipts and its state),
// and a retry. BullMQ and Redis stay in here; what is shown is built from
// plain data by job-view.ts.
import { Queue, type Job, type JobType } from 'bullmq';
import type { Config } from '../config.js';
import { QUEUE_NAMES, isQueueName, type QueueName } from '../contracts/index.js';
import { receiptKey, type Receipt } from '../delivery/ledger.js';
import { bullConnection, closeQuietly, createRedisClient, type RedisClient, type RedisSettings } from '../redis/connection.js';
import { parseAttemptRecords, type AttemptRecord } from '../queue/attempts.js';
import type { JobFacts } from './job-view.js';

export const JOB_STATES = ['failed', 'active', 'waiting', 'delayed', 'prioritized', 'completed', 'waiting-children'] as const;
export type JobState = (typeof JOB_STATES)[number];

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}

/** One job as read: BullMQ's fields, its state and where it lives. */
export interface JobRecord {
  queue: QueueName;
  job: Job;
  state: string;
}

/** Everything known of one job: its record, its attempts (from its log) and its receipts per recipient. */
export interface JobDetails extends JobRecord {
  attempts: AttemptRecord[];
  receipts: Record<string, Receipt>;
}

export interface JobsReader {
  readonly queues: Queue[];
  /** The newest jobs first, `limit` per queue at most. */
  list(options: { queue?: QueueName; state?: JobState; limit?: number }): Promise<JobRecord[]>;
  /** `<queue>:<id>` or a bare id (looked for in every queue; ids are per queue, so it may match several). */
  find(ref: string): Promise<JobRecord[]>;
  details(record: JobRecord): Promise<JobDetails>;
  /** Retries a failed job (BullMQ's retry); throws when the job is not failed. */
  retry(record: JobRecord): Promise<void>;
  close(): Promise<void>;
}

const TYPES_OF: Record<JobState, JobType[]> = {
  failed: ['failed'],
  active: ['active'],
  waiting: ['waiting'],
  delayed: ['delayed'],
  prioritized: ['prioritized'],
  completed: ['completed'],
  'waiting-children': ['waiting-children'],
};

export function createJobsReader(config: RedisSettings & Pick<Config, 'queuePrefix'>): JobsReader {
  const connection = bullConnection(config, 'producer');
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: connection.connection, prefix: config.queuePrefix }));
  for (const q of queues) q.on('error', () => undefined); // a request fails with the reason instead
  const queueOf = (name: QueueName): Queue => queues.find((q) => q.name === name)!;
  // For the receipts (delivery/ledger.ts's keys), made on first use.
  let redis: RedisClient | null = null;

  const recordOf = async (queue: QueueName, job: Job): Promise<JobRecord> => ({ queue, job, state: await job.getState() });

  return {
    queues,
    async list({ queue, state, limit = 50 }) {
      const names = queue ? [queue] : [...QUEUE_NAMES];
      const types: JobType[] = state ? TYPES_OF[state] : JOB_STATES.flatMap((s) => TYPES_OF[s]);
      const found = await Promise.all(names.map(async (name) => (await queueOf(name).getJobs(types, 0, limit - 1, false)).map((job) => ({ name, job }))));
      const jobs = found.flat().filter(({ job }) => job !== undefined && job !== null);
      jobs.sort((a, b) => (b.job.finishedOn ?? b.job.timestamp) - (a.job.finishedOn ?? a.job.timestamp));
      return Promise.all(jobs.map(({ name, job }) => recordOf(name, job)));
    },
    async find(ref) {
      const at = ref.indexOf(':');
      const named = at > 0 ? ref.slice(0, at) : '';
      const [names, id] = isQueueName(named) ? [[named], ref.slice(at + 1)] : [[...QUEUE_NAMES], ref];
      const found = await Promise.all(names.map(async (name) => ({ name, job: (await queueOf(name).getJob(id)) as Job | undefined })));
      return Promise.all(found.filter((f): f is { name: QueueName; job: Job } => f.job !== undefined && f.job !== null).map(({ name, job }) => recordOf(name, job)));
    },
    async details(record) {
      const queue = queueOf(record.queue);
      const id = record.job.id ?? '';
      const { logs } = await queue.getJobLogs(id, 0, 199);
      redis ??= createRedisClient(config);
      // The worker's delivery key (queue/worker.ts): the queue, the id and the creation time.
      const raw = await redis.hgetall(receiptKey(config.queuePrefix, `${record.queue}:${id}:${record.job.timestamp}`));
      const receipts = Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, JSON.parse(value) as Receipt]));
      return { ...record, attempts: parseAttemptRecords(logs), receipts };
    },
    async retry(record) {
      const state = await record.job.getState();
      if (state !== 'failed') throw new Error(`job ${record.queue}:${record.job.id} is ${state}, not failed: only a failed job can be retried`);
      await record.job.retry('failed');
    },
    async close() {
      await Promise.all(queues.map(closeQuietly));
      connection.release();
      redis?.disconnect();
    },
  };
}

/** The plain facts of a job, for job-view.ts. */
export function factsOf(details: JobDetails): JobFacts {
  const { job } = details;
  return {
    queue: details.queue,
    id: job.id ?? '',
    state: details.state,
    data: job.data,
    returnvalue: job.returnvalue,
    failedReason: job.failedReason,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    timestamp: job.timestamp,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn,
    scheduleId: job.repeatJobKey,
    attempts: details.attempts,
    receipts: details.receipts,
  };
}

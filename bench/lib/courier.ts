// courier jobs through Redis and a real worker process, submitted with the
// producer API (src/queue/producer.ts): `lanes` producers each add a job,
// wait for its result, and add the next, so exactly `lanes` jobs are in
// flight (a closed loop). Latency is what a producer sees: from the
// enqueue call to the completion event. The jobs' own records (BullMQ
// timestamps, the result's phase timings) are read afterwards, so reading
// them costs the run nothing.
import { Queue, type Job } from 'bullmq';
import type { Config } from '../../src/config.js';
import type { PdfReportJobInput } from '../../src/contracts/pdf-report.js';
import type { JobResult } from '../../src/contracts/result.js';
import type { ScreenshotJobInput } from '../../src/contracts/screenshot.js';
import { bullConnection, type BullConnection } from '../../src/redis/connection.js';
import { createProducer, type Producer } from '../../src/queue/producer.js';
import { runInLanes, type LaneRun } from './stats.js';

export interface CourierJob {
  id: string;
  /** Enqueue call → result, as the producer saw it. */
  latencyMs: number;
}

/** Its `failures` are the coded reasons of jobs that failed after their last attempt. */
export type CourierRun = LaneRun<CourierJob>;

/** Phase timings of one finished job, from its BullMQ record and result. */
export interface JobRecord {
  id: string;
  /** Redis-side add → finished (worker clock; same machine). */
  redisMs: number;
  /** add → a worker took it. */
  pickupMs: number;
  /** taken → finished, inside the worker. */
  processMs: number;
  attempts: number;
  timings: JobResult['timings'] | null;
  /** The job's story URL (a gallery story's carries its beacon run id). */
  url: string | null;
  /** The coded reason of a failed job. */
  failedReason: string | null;
  /** When it finished (ms since the epoch, worker clock). */
  finishedAt: number;
  /** Its first artifact, relative to ARTIFACTS_DIR. */
  artifactPath: string | null;
}

export class CourierClient {
  readonly producer: Producer;
  private readonly reader: Queue;
  private readonly readerConnection: BullConnection;

  constructor(config: Config) {
    this.producer = createProducer({ config });
    this.readerConnection = bullConnection(config, 'producer');
    this.reader = new Queue('screenshot', { connection: this.readerConnection.connection, prefix: config.queuePrefix });
  }

  /** `count` jobs, `lanes` at a time. */
  run(job: () => ScreenshotJobInput, count: number, lanes: number): Promise<CourierRun> {
    return runInLanes(count, lanes, async () => {
      const started = performance.now();
      const { id } = await this.producer.enqueueAndWait('screenshot', job(), { timeoutMs: 180_000 });
      return { id, latencyMs: performance.now() - started };
    });
  }

  /** Adds `count` jobs at once (a burst), then waits for all of them. */
  async burst(job: () => ScreenshotJobInput, count: number): Promise<CourierRun> {
    const t0 = performance.now();
    const added = await Promise.all(Array.from({ length: count }, async () => ({ started: performance.now(), ...(await this.producer.enqueue('screenshot', job())) })));
    const jobs: CourierJob[] = [];
    const failures: string[] = [];
    await Promise.all(
      added.map(async ({ id, started }) => {
        try {
          await this.producer.waitFor('screenshot', id, 600_000);
          jobs.push({ id, latencyMs: performance.now() - started });
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }),
    );
    return { jobs, failures, wallMs: performance.now() - t0 };
  }

  /** One job with a single attempt, waited for, failed or not; its record. */
  async once(job: ScreenshotJobInput): Promise<JobRecord> {
    const { id } = await this.producer.enqueue('screenshot', job, { attempts: 1 });
    await this.producer.waitFor('screenshot', id, 180_000).catch(() => undefined);
    const [record] = await this.records([id]);
    if (!record) throw new Error(`job ${id} vanished`);
    return record;
  }

  /** One pdf-report job, waited for; its latency as the producer saw it, and its result's timings. */
  async report(job: PdfReportJobInput): Promise<{ latencyMs: number; result: JobResult }> {
    const started = performance.now();
    const { result } = await this.producer.enqueueAndWait('pdf-report', job, { timeoutMs: 600_000 });
    return { latencyMs: performance.now() - started, result };
  }

  async records(ids: string[]): Promise<JobRecord[]> {
    const jobs = await Promise.all(ids.map((id) => this.reader.getJob(id)));
    return jobs.filter((j): j is Job => j !== undefined).map(toRecord);
  }

  async close(): Promise<void> {
    await this.producer.close();
    await this.reader.close();
    this.readerConnection.release();
  }
}

function toRecord(job: Job): JobRecord {
  const added = job.timestamp;
  const taken = job.processedOn ?? added;
  const finished = job.finishedOn ?? taken;
  const result = job.returnvalue as JobResult | null | undefined;
  return {
    id: job.id ?? '',
    redisMs: finished - added,
    pickupMs: taken - added,
    processMs: finished - taken,
    attempts: job.attemptsStarted,
    timings: result?.timings ?? null,
    url: typeof (job.data as { url?: unknown }).url === 'string' ? (job.data as { url: string }).url : null,
    failedReason: job.failedReason || null,
    finishedAt: finished,
    artifactPath: result?.artifacts[0]?.path ?? null,
  };
}

// `courier jobs list [--queue Q] [--state S]`, `courier jobs show <id>`,
// `courier jobs retry <id>` (CONTRACT §1): what the console shows, from a
// shell. An id is `<queue>:<id>` or a bare id (looked for in every queue).
// Credentials never print: job data goes through the same scrub as the
// console's. A retry is logged like the console's writes.
import { InvalidArgumentError, type Command } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../contracts/index.js';
import { explainReason, viewAsText, viewOfJob } from '../console/job-view.js';
import { createJobsReader, factsOf, isJobState, JOB_STATES, type JobRecord, type JobState, type JobsReader } from '../console/reader.js';
import { fail, startCommand } from './shared.js';

function queueFlag(value: string): QueueName {
  if (!isQueueName(value)) throw new InvalidArgumentError(`expected one of ${QUEUE_NAMES.join(', ')}`);
  return value;
}

function stateFlag(value: string): JobState {
  if (!isJobState(value)) throw new InvalidArgumentError(`expected one of ${JOB_STATES.join(', ')}`);
  return value;
}

function titleOf(data: unknown): string {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const title = d.title ?? d.name ?? d.alertId;
  return typeof title === 'string' ? title : '';
}

async function withReader(work: (reader: JobsReader) => Promise<void>): Promise<void> {
  const { config } = startCommand();
  const reader = createJobsReader(config);
  try {
    await work(reader);
  } catch (err) {
    await reader.close();
    fail(err);
  }
  await reader.close();
}

async function one(reader: JobsReader, ref: string): Promise<JobRecord> {
  const found = await reader.find(ref);
  if (found.length === 0) throw new Error(`courier: no job ${ref} (it may have been removed after JOBS_KEEP_COMPLETED_DAYS / JOBS_KEEP_FAILED_DAYS)`);
  if (found.length > 1) throw new Error(`courier: ${ref} names a job in several queues; say which: ${found.map((r) => `${r.queue}:${ref}`).join(', ')}`);
  return found[0]!;
}

export function register(program: Command): void {
  const jobs = program.command('jobs').description("courier's jobs, as the console at /admin/ shows them");
  jobs
    .command('list')
    .description('the newest jobs, one line each: queue:id, state, when, title, and the error code of a failed one')
    .option('--queue <queue>', `one queue (${QUEUE_NAMES.join(', ')})`, queueFlag)
    .option('--state <state>', `one state (${JOB_STATES.join(', ')})`, stateFlag)
    .option('--limit <n>', 'jobs per queue (default 50)', (v) => Number(v))
    .action(async (options: { queue?: QueueName; state?: JobState; limit?: number }) => {
      await withReader(async (reader) => {
        for (const { queue, job, state } of await reader.list(options)) {
          const when = new Date(job.finishedOn ?? job.timestamp).toISOString();
          const code = state === 'failed' ? (explainReason(job.failedReason ?? '').code ?? 'UNEXPECTED') : '';
          process.stdout.write(`${[`${queue}:${job.id}`, state, when, titleOf(job.data), code].join('\t').trimEnd()}\n`);
        }
      });
    });
  jobs
    .command('show')
    .description("one job: its state, attempts, error (code, phase, unmet conditions, requests), timings, deliveries and artifacts")
    .argument('<id>', '<queue>:<id>, or an id found in one queue only')
    .action(async (ref: string) => {
      await withReader(async (reader) => {
        const view = viewOfJob(factsOf(await reader.details(await one(reader, ref))));
        process.stdout.write(`${viewAsText(view).join('\n')}\n`);
      });
    });
  jobs
    .command('retry')
    .description('retries a failed job')
    .argument('<id>', '<queue>:<id>, or an id found in one queue only')
    .action(async (ref: string) => {
      const { log } = startCommand();
      await withReader(async (reader) => {
        const record = await one(reader, ref);
        await reader.retry(record);
        log.info({ console: 'write', via: 'shell', action: 'retry', queue: record.queue, jobId: record.job.id }, `jobs retry: ${record.queue}:${record.job.id}`);
        process.stdout.write(`${record.queue}:${record.job.id} is waiting to run again\n`);
      });
    });
}

// `courier enqueue <queue> <file|-> [--wait] [--timeout MS] [--token-file F]`
// (CONTRACT §1). Before anything is added, the job is checked twice: against
// the contract, and against this environment, as a worker started with it
// would check it before its first page (processors/prologue.ts): recipients
// and channels, Teams service URLs, signed links, story and data URLs.
// Exit status: 0 added (or, with --wait, completed); 1 invalid or refused job
// (nothing added), failed job, or Redis unusable (the reason said); 2 bad
// configuration or flag; 3 the --timeout passed before the job finished (it
// stays queued).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.js';
import { isQueueName, JOB_SCHEMAS, QUEUE_NAMES, type JobByQueue, type QueueName } from '../contracts/index.js';
import { errorMessage } from '../errors.js';
import { environmentProblems } from '../processors/prologue.js';
import { describeRedis, unreachableReason } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { checkJob, createProducer, InvalidJobError, JobFailedError, WaitTimeoutError, type AttemptFailure, type JobInputByQueue } from '../queue/producer.js';
import { failWith, startCommand, tokenOf, UsageError } from './shared.js';

interface EnqueueFlags {
  wait?: boolean;
  timeout?: number;
  tokenFile?: string;
  /** false with --no-env-check. */
  envCheck: boolean;
}

function parseQueue(value: string): QueueName {
  if (!isQueueName(value)) throw new InvalidArgumentError(`expected one of ${QUEUE_NAMES.join(', ')}`);
  return value;
}

function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError('expected a positive whole number of milliseconds');
  return ms;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the job file ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function exitWith(status: number, message?: string): never {
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.exit(status);
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The refusal of a job the contract accepts but this environment's worker would not; null when it would take it. */
export function environmentRefusal<Q extends QueueName>(queue: Q, data: JobByQueue[Q], config: Config): string | null {
  const problems = environmentProblems(queue, data, config);
  if (problems.length === 0) return null;
  // The worker's own rule: one Teams service URL not allowed makes the whole job FORBIDDEN_URL.
  const code = problems.some((p) => p.code === 'FORBIDDEN_URL') ? 'FORBIDDEN_URL' : 'INVALID_JOB';
  return [
    `${code}: a worker with this environment would refuse this ${queue} job (a check against this shell's configuration, not only the contract); nothing was added:`,
    ...problems.map((p) => `  - ${p.problem}`),
    'If the worker runs with other settings than this shell, add the job with --no-env-check.',
  ].join('\n');
}

/** "attempt 1 of 3 failed: SELECTOR_TIMEOUT: …; retrying in 5 s", as it happens. */
export function describeAttempt(failure: AttemptFailure, now = Date.now()): string {
  const when = failure.retryAt === null ? 'retrying' : `retrying in ${Math.max(0, Math.round((failure.retryAt - now) / 1000))} s`;
  return `attempt ${failure.attempt} of ${failure.attempts} failed: ${failure.reason}; ${when}`;
}

async function enqueue(queue: QueueName, file: string, flags: EnqueueFlags): Promise<void> {
  const { config } = startCommand();

  let data: unknown;
  let token: string | undefined;
  try {
    const text = await readInput(file);
    token = await tokenOf({ tokenFile: flags.tokenFile });
    try {
      data = JSON.parse(text);
    } catch (err) {
      exitWith(1, `INVALID_JOB: cannot read a JSON job from ${file === '-' ? 'stdin' : file}: ${errorMessage(err)}`);
    }
  } catch (err) {
    failWith(err);
  }
  // --token-file or COURIER_TOKEN: the token travels in the job, never in the job file.
  if (token !== undefined && isObject(data)) data = { ...data, auth: { ...(isObject(data.auth) ? data.auth : {}), token } };

  const problems = checkJob(queue, data);
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    exitWith(1, `INVALID_JOB: the ${queue} job does not match the contract (${count}); nothing was added:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const parsed = JOB_SCHEMAS[queue].parse(data);
  if (flags.envCheck) {
    const refusal = environmentRefusal(queue, parsed, config);
    if (refusal !== null) exitWith(1, refusal);
  }
  // With --wait, beside the attempts' reasons: a 401 in them then has its likely cause said.
  if (flags.wait && parsed.auth === undefined) {
    process.stderr.write('note: the job carries no auth.token, so the backend will refuse a story or data request that needs one (give it with --token-file or COURIER_TOKEN)\n');
  }

  // A quick PING first, so an unreachable Redis is reported at once (with
  // the reason) instead of as a hang while the client reconnects.
  const unreachable = await unreachableReason(config, 5000);
  if (unreachable !== null) exitWith(1, `courier: Redis at ${describeRedis(config)} cannot be used (${unreachable}); nothing was added`);

  const producer = createProducer({ config });
  // Validated above; the producer checks again against the same contract.
  const job = data as JobInputByQueue[typeof queue];
  let status = 0;
  try {
    const { id } = await producer.enqueue(queue, job);
    if (!flags.wait) {
      process.stdout.write(`${id}\n`);
    } else {
      // The id goes to stderr so stdout carries only the result JSON (pipe it to jq).
      process.stderr.write(`job ${id} added to ${queue}; waiting for it to finish…\n`);
      const result = await producer.waitFor(queue, id, flags.timeout, { onAttemptFailed: (failure) => process.stderr.write(`${describeAttempt(failure)}\n`) });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    }
  } catch (err) {
    status = err instanceof WaitTimeoutError ? 3 : 1;
    // A Redis error says what it means (MOVED: a Cluster given as one node; READONLY: a replica…).
    process.stderr.write(`${err instanceof JobFailedError ? err.reason : `courier: ${err instanceof InvalidJobError ? errorMessage(err) : explainRedisError(err).reason}`}\n`);
  } finally {
    await producer.close();
  }
  if (status !== 0) process.exit(status);
}

export function register(program: Command): void {
  program
    .command('enqueue')
    .description('check a job against its queue contract and against what this environment\'s worker would refuse, then add it; prints the job id, or with --wait the result JSON')
    .argument('<queue>', `the queue: ${QUEUE_NAMES.join(', ')}`, parseQueue)
    .argument('<file>', 'the job JSON file, or - to read it from stdin')
    .option('--wait', 'wait until the job completes (result JSON on stdout) or fails after its last attempt (reason on stderr, exit 1); each failed attempt is shown as it happens')
    .option('--timeout <ms>', 'with --wait: stop waiting after this many milliseconds (exit 3; the job stays queued)', parseMs)
    .option('--token-file <file>', "a file holding the user's bearer token, put into the job's auth.token; or set COURIER_TOKEN")
    .option('--no-env-check', "skip the check against this shell's configuration (when the worker runs with other settings)")
    .action(async (queue: QueueName, file: string, flags: EnqueueFlags) => {
      await enqueue(queue, file, flags);
    });
}

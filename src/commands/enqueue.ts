// `courier enqueue <queue> <file|-> [--wait] [--timeout MS]` (CONTRACT §1).
// Exit status: 0 added (or, with --wait, completed); 1 invalid job (nothing
// added), failed job, or Redis unusable (the reason said); 2 bad configuration; 3 the
// --timeout passed before the job finished (it stays queued).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../contracts/index.js';
import { errorMessage } from '../errors.js';
import { describeRedis, unreachableReason } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { checkJob, createProducer, InvalidJobError, JobFailedError, WaitTimeoutError, type JobInputByQueue } from '../queue/producer.js';
import { startCommand } from './shared.js';

interface EnqueueFlags {
  wait?: boolean;
  timeout?: number;
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
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function exitWith(status: number, message?: string): never {
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.exit(status);
}

async function enqueue(queue: QueueName, file: string, flags: EnqueueFlags): Promise<void> {
  const { config } = startCommand();

  let data: unknown;
  try {
    data = JSON.parse(await readInput(file));
  } catch (err) {
    exitWith(1, `INVALID_JOB: cannot read a JSON job from ${file === '-' ? 'stdin' : file}: ${errorMessage(err)}`);
  }
  const problems = checkJob(queue, data);
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    exitWith(1, `INVALID_JOB: the ${queue} job does not match the contract (${count}); nothing was added:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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
      const result = await producer.waitFor(queue, id, flags.timeout);
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
    .description('validate a job against its queue contract and add it; prints the job id, or with --wait the result JSON')
    .argument('<queue>', `the queue: ${QUEUE_NAMES.join(', ')}`, parseQueue)
    .argument('<file>', 'the job JSON file, or - to read it from stdin')
    .option('--wait', 'wait until the job completes (result JSON on stdout) or fails after its last attempt (reason on stderr, exit 1)')
    .option('--timeout <ms>', 'with --wait: stop waiting after this many milliseconds (exit 3; the job stays queued)', parseMs)
    .action(async (queue: QueueName, file: string, flags: EnqueueFlags) => {
      await enqueue(queue, file, flags);
    });
}

// `courier schedules history <id> [--queue Q] [--limit N] [--json]` (CONTRACT §1):
// the recorded runs of one schedule, the latest due first: due, started,
// ended, outcome, error, recipients. A scheduler id is unique within a queue
// only: without --queue, every queue holding runs of that id is shown.
// Exit 0, with "no runs recorded" when there are none (a schedule's runs are
// recorded from its first run on); non-zero when Redis cannot be read.
import { InvalidArgumentError, type Command } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../contracts/index.js';
import { formatHistory } from '../history/format.js';
import { createScheduleHistory, DEFAULT_MAX_RUNS, type ScheduleRun } from '../history/store.js';
import { createRedisClient, describeRedis, unreachableReason } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { fail, startCommand } from './shared.js';

interface HistoryFlags {
  queue?: QueueName;
  limit: number;
  json?: boolean;
}

function parseQueue(value: string): QueueName {
  if (!isQueueName(value)) throw new InvalidArgumentError(`expected one of ${QUEUE_NAMES.join(', ')}`);
  return value;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > DEFAULT_MAX_RUNS) throw new InvalidArgumentError(`expected a whole number from 1 to ${DEFAULT_MAX_RUNS}`);
  return n;
}

async function history(id: string, flags: HistoryFlags): Promise<void> {
  const { config } = startCommand();
  const unreachable = await unreachableReason(config, 5000);
  if (unreachable !== null) fail(`courier: Redis at ${describeRedis(config)} cannot be used (${unreachable})`);
  const redis = createRedisClient(config);
  try {
    const store = createScheduleHistory({ redis, prefix: config.queuePrefix, retentionMs: config.scheduleHistorySeconds * 1000 });
    const queues = flags.queue ? [flags.queue] : await store.queuesOf(id);
    const found: { queue: QueueName; runs: ScheduleRun[] }[] = await Promise.all(queues.map(async (queue) => ({ queue, runs: await store.runs(queue, id, { limit: flags.limit }) })));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(found.flatMap((f) => f.runs), null, 2)}\n`);
      return;
    }
    const retentionDays = Math.round(config.scheduleHistorySeconds / 86400);
    if (found.length === 0) {
      process.stdout.write(`no runs of a schedule ${JSON.stringify(id)} recorded in any queue (runs are recorded from a schedule's first run on, and kept ${retentionDays} days)\n`);
      return;
    }
    const blocks = found.map(({ queue, runs }) => formatHistory({ queue, scheduleId: id, shown: runs.length, retentionDays, maxRuns: DEFAULT_MAX_RUNS }, runs).join('\n'));
    process.stdout.write(`${blocks.join('\n\n')}\n`);
  } catch (err) {
    fail(`courier: ${explainRedisError(err).reason}`);
  } finally {
    redis.disconnect();
  }
}

export function registerHistory(schedules: Command): void {
  schedules
    .command('history')
    .description("the recorded runs of one schedule, the latest due first: due, started, ended, outcome, error, recipients (kept SCHEDULE_HISTORY_DAYS)")
    .argument('<id>', "the schedule's id (a schedule file's id, or the backend's scheduler key)")
    .option('--queue <queue>', `only this queue's schedule of that id: ${QUEUE_NAMES.join(', ')}`, parseQueue)
    .option('--limit <n>', 'show at most this many runs', parseLimit, 20)
    .option('--json', 'print the runs as JSON (the fields of the console and the API)')
    .action(async (id: string, flags: HistoryFlags) => {
      await history(id, flags);
    });
}

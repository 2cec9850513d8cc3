// `courier schedules sync`: makes Redis job schedulers (BullMQ 6
// upsertJobScheduler) match the files of a directory (default jobs/schedules/).
//
// Ownership: the backend also creates schedulers from its own code (one per
// alert, for instance), so sync must never touch those. The ids sync has
// created are kept, per queue, in the Redis set
//   <QUEUE_PREFIX>:courier-schedules:<queue>
// Sync only updates or removes schedulers listed there; a file whose id
// belongs to a scheduler sync did not create is refused as a conflict.
//
// All files are read and checked first (schema, cron expression, job data
// against its queue's contract, duplicate ids, conflicts); if anything is
// wrong, every problem is reported and nothing changes.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, type JobSchedulerJson } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config.js';
import { JOB_SCHEMAS, QUEUE_NAMES, describeIssues, type QueueName } from '../contracts/index.js';
import { scheduleFile, type ScheduleFile } from '../contracts/schedule.js';
import { errorMessage } from '../errors.js';
import { bullConnection, closeQuietly, createRedisClient, type RedisClient } from '../redis/connection.js';
import { DEFAULT_JOB_OPTIONS } from './producer.js';

export interface ScheduleEntry {
  /** File name, for messages. */
  file: string;
  schedule: ScheduleFile;
}

export interface LoadedSchedules {
  entries: ScheduleEntry[];
  /** `file: problem`, one per problem; empty when every file is valid. */
  problems: string[];
}

/** Reads and checks every `*.json` file of a directory (no Redis). */
export async function loadScheduleDir(dir: string): Promise<LoadedSchedules> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    return { entries: [], problems: [`${dir}: cannot read the directory (${errorMessage(err)})`] };
  }
  const entries: ScheduleEntry[] = [];
  const problems: string[] = [];
  for (const file of names) {
    const fileProblems: string[] = [];
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(join(dir, file), 'utf8'));
    } catch (err) {
      problems.push(`${file}: not valid JSON (${errorMessage(err)})`);
      continue;
    }
    const parsed = scheduleFile.safeParse(raw);
    if (!parsed.success) {
      problems.push(...describeIssues(parsed.error).map((p) => `${file}: ${p}`));
      continue;
    }
    const schedule = parsed.data;
    if (schedule.cron !== undefined) {
      try {
        CronExpressionParser.parse(schedule.cron, schedule.tz !== undefined ? { tz: schedule.tz } : {});
      } catch (err) {
        fileProblems.push(`cron: ${JSON.stringify(schedule.cron)} is not a valid cron expression (${errorMessage(err)})`);
      }
    }
    const data = JOB_SCHEMAS[schedule.queue].safeParse(schedule.data);
    if (!data.success) fileProblems.push(...describeIssues(data.error).map((p) => `data.${p}`));
    if (fileProblems.length > 0) problems.push(...fileProblems.map((p) => `${file}: ${p}`));
    else entries.push({ file, schedule });
  }
  const seen = new Map<string, string>();
  for (const { file, schedule } of entries) {
    const other = seen.get(schedule.id);
    if (other !== undefined) problems.push(`${file}: id ${JSON.stringify(schedule.id)} is already used by ${other}`);
    seen.set(schedule.id, file);
  }
  return { entries, problems };
}

export type SyncAction = 'add' | 'update' | 'unchanged' | 'remove';

export interface SyncStep {
  action: SyncAction;
  queue: QueueName;
  id: string;
  file?: string;
}

/** What Redis holds for one queue, as far as sync is concerned. */
export interface QueueSchedulers {
  /** Ids listed in the managed set. */
  managed: Set<string>;
  /** Schedulers by id (managed or not). */
  existing: Map<string, JobSchedulerJson>;
}

/** The repeat options and template sync gives BullMQ for a file. */
export function desiredScheduler(schedule: ScheduleFile) {
  return {
    repeat: schedule.cron !== undefined ? { pattern: schedule.cron, ...(schedule.tz !== undefined ? { tz: schedule.tz } : {}) } : { every: schedule.every },
    template: { name: schedule.queue, data: schedule.data, opts: DEFAULT_JOB_OPTIONS },
  };
}

/** JSON with sorted keys, so equal data compares equal whatever its key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function sameScheduler(existing: JobSchedulerJson, schedule: ScheduleFile): boolean {
  const want = desiredScheduler(schedule);
  return (
    existing.pattern === schedule.cron &&
    existing.every === schedule.every &&
    existing.tz === schedule.tz &&
    existing.name === schedule.queue &&
    canonical(existing.template?.data ?? {}) === canonical(want.template.data) &&
    canonical(pickOpts(existing.template?.opts)) === canonical(want.template.opts)
  );
}

/** The template options sync sets (BullMQ may add others of its own). */
function pickOpts(opts: object | undefined): Record<string, unknown> {
  const source = (opts ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(DEFAULT_JOB_OPTIONS).flatMap((k) => (k in source ? [[k, source[k]]] : [])));
}

/**
 * Pure: the steps that make Redis match the files, or the conflicts that
 * forbid it (a file id taken by a scheduler sync does not manage).
 */
export function planSync(entries: ScheduleEntry[], redis: Record<QueueName, QueueSchedulers>): { steps: SyncStep[]; conflicts: string[] } {
  const steps: SyncStep[] = [];
  const conflicts: string[] = [];
  for (const { file, schedule } of entries) {
    const state = redis[schedule.queue];
    const existing = state.existing.get(schedule.id);
    if (existing && !state.managed.has(schedule.id)) {
      conflicts.push(
        `${file}: the ${schedule.queue} queue already has a scheduler ${JSON.stringify(schedule.id)} that schedules sync did not create (the backend's, or made by hand); choose another id, or remove that scheduler first`,
      );
      continue;
    }
    const action: SyncAction = !existing ? 'add' : sameScheduler(existing, schedule) ? 'unchanged' : 'update';
    steps.push({ action, queue: schedule.queue, id: schedule.id, file });
  }
  for (const queue of QUEUE_NAMES) {
    const wanted = new Set(entries.filter((e) => e.schedule.queue === queue).map((e) => e.schedule.id));
    for (const id of [...redis[queue].managed].sort()) {
      if (!wanted.has(id)) steps.push({ action: 'remove', queue, id });
    }
  }
  return { steps, conflicts };
}

export function managedSetKey(prefix: string, queue: QueueName): string {
  return `${prefix}:courier-schedules:${queue}`;
}

export class ScheduleSyncError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`schedules not synced, nothing changed:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ScheduleSyncError';
    this.problems = problems;
  }
}

export interface SyncOptions {
  config: Pick<Config, 'redisUrl' | 'queuePrefix'>;
  dir: string;
  /** Plan only: report the steps without changing Redis. */
  dryRun?: boolean;
  /** Put into every schedule's `auth.token` (`--token-file`): the token stays out of the files. */
  token?: string;
}

/** Reads the managed sets and the schedulers of each queue. */
async function readRedisState(queues: Record<QueueName, Queue>, redis: RedisClient, prefix: string): Promise<Record<QueueName, QueueSchedulers>> {
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (queue): Promise<[QueueName, QueueSchedulers]> => {
      const [managed, schedulers] = await Promise.all([redis.smembers(managedSetKey(prefix, queue)), queues[queue].getJobSchedulers()]);
      return [queue, { managed: new Set(managed), existing: new Map(schedulers.map((s) => [s.key, s])) }];
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, QueueSchedulers>;
}

/** The schedules with the token in each one's job data. */
export function withToken(entries: ScheduleEntry[], token: string): ScheduleEntry[] {
  return entries.map(({ file, schedule }) => ({ file, schedule: { ...schedule, data: { ...schedule.data, auth: { token } } } }));
}

export async function syncSchedules({ config, dir, dryRun = false, token }: SyncOptions): Promise<SyncStep[]> {
  const loaded = await loadScheduleDir(dir);
  if (loaded.problems.length > 0) throw new ScheduleSyncError(loaded.problems);
  const entries = token === undefined ? loaded.entries : withToken(loaded.entries, token);

  const redis = createRedisClient(config);
  const connection = bullConnection(config, 'producer');
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: connection.connection, prefix: config.queuePrefix })]),
  ) as Record<QueueName, Queue>;
  try {
    const state = await readRedisState(queues, redis, config.queuePrefix);
    const { steps, conflicts } = planSync(entries, state);
    if (conflicts.length > 0) throw new ScheduleSyncError(conflicts);
    if (dryRun) return steps;

    const byId = new Map(entries.map((e) => [`${e.schedule.queue}\n${e.schedule.id}`, e.schedule]));
    for (const step of steps) {
      const key = managedSetKey(config.queuePrefix, step.queue);
      if (step.action === 'add' || step.action === 'update') {
        const schedule = byId.get(`${step.queue}\n${step.id}`);
        if (!schedule) continue;
        const { repeat, template } = desiredScheduler(schedule);
        // Claim the id before creating it: if sync dies in between, the next
        // run sees a managed id and finishes the job instead of a conflict.
        await redis.sadd(key, step.id);
        await queues[step.queue].upsertJobScheduler(step.id, repeat, template);
      } else if (step.action === 'remove') {
        await queues[step.queue].removeJobScheduler(step.id);
        await redis.srem(key, step.id);
      }
    }
    return steps;
  } finally {
    await Promise.all(Object.values(queues).map(closeQuietly));
    connection.release();
    redis.disconnect();
  }
}

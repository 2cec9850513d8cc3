// The schedule history in Redis (keys.ts says where; lua/schedule-history-write.lua
// writes it): every run of every job scheduler, one record per scheduled
// occurrence, kept `retentionMs` (SCHEDULE_HISTORY_DAYS) and at most
// `maxRuns` per schedule.
//
// Writers: the queue workers (src/queue/history-recorder.ts), at each
// attempt's start and end. Readers: `courier schedules history`, the
// console, and the metric courier_schedule_last_run_timestamp_seconds.
import { isQueueName, type QueueName } from '../contracts/queues.js';
import type { RedisClient } from '../redis/connection.js';
import { luaCommand } from '../redis/lua.js';
import { indexKey, lastKey, parseLastField, parseMember, scheduleKeys, scheduleMember } from './keys.js';
import { isFinalOutcome, type FinalOutcome, type RunError, type RunOutcome, type RunRef, type ScheduleRun } from './run.js';

export { FINAL_OUTCOMES, errorOf, outcomeOf, recipientsOf, runRefOf, type FinalOutcome, type RunError, type RunOutcome, type RunRef, type ScheduleRun } from './run.js';

/** SCHEDULE_HISTORY_DAYS' default. */
export const DEFAULT_HISTORY_DAYS = 90;
/**
 * Runs kept per schedule, whatever their age: 90 days of a daily report, or
 * the last ~42 hours of an alert evaluated every 5 minutes. Each run is a
 * small hash (under 2 KB with the longest error), so one schedule holds
 * at most about 1 MB.
 */
export const DEFAULT_MAX_RUNS = 500;

export interface ScheduleHistoryOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX. */
  prefix: string;
  /** How long a run is kept (SCHEDULE_HISTORY_DAYS in ms). */
  retentionMs: number;
  maxRuns?: number;
  now?: () => number;
}

/** A schedule that has runs on record. */
export interface ScheduleSummary {
  queue: QueueName;
  scheduleId: string;
  /** When the schedule's last record was written (ms). */
  lastRecordAt: number;
  /** When a run last ended with each outcome (ms), within the retention. */
  lastEnded: Partial<Record<FinalOutcome, number>>;
}

/** One series of courier_schedule_last_run_timestamp_seconds. */
export interface LastRun {
  queue: QueueName;
  scheduleId: string;
  outcome: FinalOutcome;
  /** ms since the epoch. */
  at: number;
}

export interface AttemptStart {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  at: number;
}

export interface AttemptEnd {
  attempt: number;
  maxAttempts: number;
  at: number;
  /** `retrying` when another attempt follows. */
  outcome: Exclude<RunOutcome, 'running'>;
  error?: RunError;
  recipients?: string[];
}

export interface ScheduleHistory {
  // Writing (the worker)
  attemptStarted(run: RunRef, start: AttemptStart): Promise<void>;
  attemptEnded(run: RunRef, end: AttemptEnd): Promise<void>;
  // Reading (command line, console, metrics)
  /** One schedule's runs, the latest due first; `limit` (default 50) at most. */
  runs(queue: QueueName, scheduleId: string, options?: { limit?: number }): Promise<ScheduleRun[]>;
  /** One run, or null when it is not (or no longer) recorded. */
  run(queue: QueueName, scheduleId: string, runId: string): Promise<ScheduleRun | null>;
  /** The queues that have runs of a schedule with this id on record (a scheduler id is unique per queue only). */
  queuesOf(scheduleId: string): Promise<QueueName[]>;
  /** Every schedule with runs on record, the most recently active first. */
  schedules(): Promise<ScheduleSummary[]>;
  /** When each schedule's runs last ended with each outcome (the metric's series). */
  lastRuns(): Promise<LastRun[]>;
}

/** The run hash's fields, all strings ('' for none). */
type RunFields = Record<string, string>;

export function createScheduleHistory(options: ScheduleHistoryOptions): ScheduleHistory {
  const { redis, prefix, retentionMs } = options;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const now = options.now ?? Date.now;
  const write = luaCommand(redis, 'schedule-history-write');

  async function record(run: RunRef, fields: RunFields, extra: { startedAt?: number; final?: FinalOutcome; endedAt?: number }): Promise<void> {
    const keys = scheduleKeys(prefix, run.queue, run.scheduleId);
    const base: RunFields = { queue: run.queue, scheduleId: run.scheduleId, runId: run.runId, dueAt: String(run.dueAt) };
    const pairs = Object.entries({ ...base, ...fields }).flat();
    await write(
      keys.runs,
      keys.runPrefix + run.runId,
      indexKey(prefix),
      lastKey(prefix),
      run.runId,
      run.dueAt,
      now(),
      retentionMs,
      maxRuns,
      keys.runPrefix,
      scheduleMember(run.queue, run.scheduleId),
      extra.final ?? '',
      extra.endedAt ?? '',
      extra.startedAt ?? '',
      ...pairs,
    );
  }

  return {
    async attemptStarted(run, start) {
      await record(
        run,
        { outcome: 'running', attempts: String(start.attempt), maxAttempts: String(start.maxAttempts), endedAt: '' },
        { startedAt: start.at },
      );
    },

    async attemptEnded(run, end) {
      const fields: RunFields = { outcome: end.outcome, attempts: String(end.attempt), maxAttempts: String(end.maxAttempts), endedAt: String(end.at) };
      if (end.error) Object.assign(fields, { errorCode: end.error.code, errorMessage: end.error.message });
      if (end.recipients) fields.recipients = JSON.stringify(end.recipients);
      // An attempt that ends without having been seen to start (a worker restarted in between) still dates the run.
      await record(run, fields, { startedAt: end.at, ...(isFinalOutcome(end.outcome) ? { final: end.outcome, endedAt: end.at } : {}) });
    },

    async runs(queue, scheduleId, { limit = 50 } = {}) {
      const keys = scheduleKeys(prefix, queue, scheduleId);
      const ids = await redis.zrevrange(keys.runs, 0, Math.max(0, limit - 1));
      if (ids.length === 0) return [];
      // One round trip; the keys share a slot under a hash-tagged prefix, so this works on a Cluster too.
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.runPrefix + id);
      const answers = (await pipeline.exec()) ?? [];
      return answers.flatMap(([err, fields]) => {
        if (err) throw err;
        const parsed = runFromFields(fields as RunFields);
        return parsed ? [parsed] : [];
      });
    },

    async run(queue, scheduleId, runId) {
      const fields = await redis.hgetall(scheduleKeys(prefix, queue, scheduleId).runPrefix + runId);
      return runFromFields(fields);
    },

    async queuesOf(scheduleId) {
      const members = await redis.zrange(indexKey(prefix), 0, -1);
      return members.flatMap((m) => {
        const s = parseMember(m);
        return s && s.scheduleId === scheduleId && isQueueName(s.queue) ? [s.queue] : [];
      });
    },

    async schedules() {
      const [withScores, last] = await Promise.all([redis.zrevrange(indexKey(prefix), 0, -1, 'WITHSCORES'), readLast()]);
      const summaries: ScheduleSummary[] = [];
      for (let i = 0; i + 1 < withScores.length; i += 2) {
        const member = withScores[i]!;
        const s = parseMember(member);
        if (!s || !isQueueName(s.queue)) continue;
        const lastEnded: Partial<Record<FinalOutcome, number>> = {};
        for (const entry of last) if (entry.queue === s.queue && entry.scheduleId === s.scheduleId) lastEnded[entry.outcome] = entry.at;
        summaries.push({ queue: s.queue, scheduleId: s.scheduleId, lastRecordAt: Number(withScores[i + 1]), lastEnded });
      }
      return summaries;
    },

    lastRuns: readLast,
  };

  async function readLast(): Promise<LastRun[]> {
    const fields = await redis.hgetall(lastKey(prefix));
    const oldest = now() - retentionMs;
    return Object.entries(fields).flatMap(([field, value]) => {
      const parsed = parseLastField(field);
      const s = parsed && parseMember(parsed.member);
      const at = Number(value);
      if (!parsed || !s || !isQueueName(s.queue) || !isFinalOutcome(parsed.outcome) || !Number.isFinite(at) || at < oldest) return [];
      return [{ queue: s.queue, scheduleId: s.scheduleId, outcome: parsed.outcome, at }];
    });
  }
}

const RUN_OUTCOMES: readonly string[] = ['running', 'retrying', 'delivered', 'nothing-to-send', 'failed'];

function numberOrNull(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A run hash read back; null for an empty (expired) or foreign one. */
export function runFromFields(fields: RunFields): ScheduleRun | null {
  const { queue, scheduleId, runId, outcome } = fields;
  const dueAt = numberOrNull(fields.dueAt);
  if (!queue || !isQueueName(queue) || !scheduleId || !runId || dueAt === null || !outcome || !RUN_OUTCOMES.includes(outcome)) return null;
  let recipients: string[] = [];
  try {
    const parsed: unknown = JSON.parse(fields.recipients ?? '[]');
    if (Array.isArray(parsed)) recipients = parsed.filter((r): r is string => typeof r === 'string');
  } catch {
    // unreadable: shown as no recipients
  }
  return {
    queue,
    scheduleId,
    runId,
    dueAt,
    startedAt: numberOrNull(fields.startedAt),
    endedAt: numberOrNull(fields.endedAt),
    outcome: outcome as RunOutcome,
    attempts: numberOrNull(fields.attempts) ?? 0,
    maxAttempts: numberOrNull(fields.maxAttempts) ?? 0,
    error: fields.errorCode ? { code: fields.errorCode, message: fields.errorMessage ?? '' } : null,
    recipients,
  };
}

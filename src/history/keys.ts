// Where the schedule history lives in Redis: every key under QUEUE_PREFIX, so
// a hash-tagged prefix such as `{courier}` keeps them in one Cluster slot
// (the Lua script touches several at once):
//   <prefix>:schedule-history:<queue>:<scheduleId>:runs        sorted set: run id, scored by its due time
//   <prefix>:schedule-history:<queue>:<scheduleId>:run:<runId> hash: one run (store.ts says its fields)
//   <prefix>:schedule-history:schedules                        sorted set: schedule (JSON [queue, id]), scored by its last record
//   <prefix>:schedule-history:last                             hash: `<schedule>|<outcome>` → when a run last ended so (ms)
// Not `<prefix>:<queue>:…`: that is BullMQ's namespace of each queue.
import type { QueueName } from '../contracts/queues.js';

export interface ScheduleKeys {
  runs: string;
  /** Prepend to a run id to get that run's hash. */
  runPrefix: string;
}

export function historyRoot(prefix: string): string {
  return `${prefix}:schedule-history`;
}

export function scheduleKeys(prefix: string, queue: QueueName, scheduleId: string): ScheduleKeys {
  const base = `${historyRoot(prefix)}:${queue}:${scheduleId}`;
  return { runs: `${base}:runs`, runPrefix: `${base}:run:` };
}

export function indexKey(prefix: string): string {
  return `${historyRoot(prefix)}:schedules`;
}

export function lastKey(prefix: string): string {
  return `${historyRoot(prefix)}:last`;
}

/** A schedule as a member of the index: JSON, so any scheduler id (even one with `|` or `:`) reads back whole. */
export function scheduleMember(queue: QueueName, scheduleId: string): string {
  return JSON.stringify([queue, scheduleId]);
}

/** The last-run hash's field: the schedule's member, `|`, the outcome (outcomes never hold `|`). */
export function lastField(member: string, outcome: string): string {
  return `${member}|${outcome}`;
}

export function parseLastField(field: string): { member: string; outcome: string } | null {
  const cut = field.lastIndexOf('|');
  return cut < 0 ? null : { member: field.slice(0, cut), outcome: field.slice(cut + 1) };
}

export function parseMember(member: string): { queue: string; scheduleId: string } | null {
  try {
    const value: unknown = JSON.parse(member);
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { queue: value[0], scheduleId: value[1] };
  } catch {
    // not ours: skipped by the caller
  }
  return null;
}

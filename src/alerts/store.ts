// Where an alert's state lives between evaluations (Redis, under
// QUEUE_PREFIX, keyed by alertId: keys.ts), and the two guarantees around it:
//
// 1. One evaluation of an alert at a time: a lock renewed while the
//    evaluation runs (lock.ts).
//
// 2. No message lost or doubled when a worker dies between deciding and
//    sending: an outbox (outbox.ts). The next state and the notifications the
//    transition asked for are written in ONE Lua script (lua/alert-commit.lua),
//    each notification with a stable id (`alert:<alertId>:<epoch>:<seq>`).
//    The processor then delivers each pending notification with that id as
//    the delivery ledger's job id and removes it from the outbox
//    (markDelivered). A worker that dies before the write sent nothing, and
//    the retry evaluates afresh; one that dies after it leaves the
//    notification pending, and the next run delivers it first; the ledger
//    skips recipients an interrupted send already reached.
//
// Commits are also fenced: they name the version they were computed from
// (optimistic concurrency) and, optionally, the lock token, so an evaluation
// that lost its lock or raced another can never overwrite newer state.
// State, outbox and attempts expire after stateTtlMs without a commit.
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { luaCommand } from '../redis/lua.js';
import { alertKeys, notificationIdPrefix, seqOf } from './keys.js';
import { acquireLock, type AlertLock, type LockOptions } from './lock.js';
import { readPending, readState, type PendingNotification } from './outbox.js';
import type { AlertState, Notification } from './state.js';

export { alertKeys, type AlertKeys } from './keys.js';
export { DEFAULT_LOCK_LEASE_MS, type AlertLock, type LockOptions } from './lock.js';
export { DEFAULT_OUTBOX_POLICY, shouldAbandon, type OutboxPolicy, type PendingNotification } from './outbox.js';

/** An alert not evaluated for this long is forgotten (its schedule is surely gone). */
export const DEFAULT_STATE_TTL_MS = 30 * 24 * 3_600_000;

export interface StoredAlert {
  /** 0 when nothing is stored; commits name it as their expected version. */
  version: number;
  /** null for an alert never evaluated, or whose stored state could not be read (see problems). */
  state: AlertState | null;
  /** Oldest first. */
  pending: PendingNotification[];
  /** The evaluation (BullMQ job id) that made the last commit; see alreadyEvaluated. */
  lastEvaluationId: string | null;
  /** Stored data that could not be read (ignored); for a warning in the log. */
  problems: string[];
}

export interface CommitOptions {
  /** Refuse the commit unless this lock token still owns the alert's lock. */
  lockToken?: string;
  /** Who evaluated: the BullMQ job id, the same across the job's attempts. */
  evaluationId?: string;
  /** When the evaluation's job was made (ms): a job made before the alert was deleted may not commit. */
  jobCreatedAt?: number;
}

export type CommitResult =
  | { committed: true; version: number; notifications: PendingNotification[] }
  | { committed: false; reason: 'version-changed'; currentVersion: number }
  | { committed: false; reason: 'lock-lost' }
  | { committed: false; reason: 'deleted' };

export interface AlertStore {
  load(alertId: string): Promise<StoredAlert>;
  /**
   * Writes the next state and appends the notifications to the outbox, in one
   * step, if the stored version is still `expectedVersion` (and the lock is
   * still `lockToken`'s). Returns the notifications with their ids.
   */
  commitTransition(alertId: string, expectedVersion: number, next: AlertState, notifications: Notification[], options?: CommitOptions): Promise<CommitResult>;
  pendingNotifications(alertId: string): Promise<PendingNotification[]>;
  /** Removes a delivered notification from the outbox; false if it was not pending (already marked). */
  markDelivered(alertId: string, notificationId: string): Promise<boolean>;
  /** Counts a failed delivery attempt; returns the new count. */
  recordDeliveryFailure(alertId: string, notificationId: string): Promise<number>;
  /** Removes a notification that will not be delivered (see shouldAbandon); false if it was not pending. */
  abandonNotification(alertId: string, notificationId: string): Promise<boolean>;
  /**
   * Forgets the alert: state, outbox and attempts, and leaves a tombstone (the
   * time of the deletion, kept for the state's TTL) so that an evaluation whose
   * job was made before cannot write the state back. A live lock is left to expire.
   */
  deleteAlert(alertId: string): Promise<void>;
  acquireLock(alertId: string, options: LockOptions): Promise<AlertLock | null>;
}

export interface AlertStoreOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX. */
  prefix: string;
  stateTtlMs?: number;
  /** Clock for `updatedAt` (tests). */
  now?: () => number;
  /**
   * Resolves once a committed transition survives a failover (a replica has
   * it, see ledger.ts); a rejection fails the commit's caller, whose retry
   * then reads what the new master has.
   */
  confirm?: () => Promise<void>;
}

/**
 * Whether this job already evaluated the alert successfully in an earlier
 * attempt (the attempt then failed while delivering). Its retry must only
 * deliver what is pending: evaluating again would, with notify every-time,
 * send a second "triggered" message for one scheduled evaluation. A job
 * whose committed evaluation was an error (errorCount > 0) evaluates again:
 * that is what its retries are for.
 */
export function alreadyEvaluated(stored: StoredAlert, evaluationId: string): boolean {
  return stored.lastEvaluationId === evaluationId && stored.state !== null && stored.state.errorCount === 0;
}

/** ioredis MULTI answers [error, result] pairs; a failed command is a failed load. */
function resultsOf(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error('the Redis transaction was aborted');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

function asHash(value: unknown): Record<string, string> {
  return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
}

export function createAlertStore(options: AlertStoreOptions): AlertStore {
  const { redis, prefix } = options;
  const stateTtlMs = options.stateTtlMs ?? DEFAULT_STATE_TTL_MS;
  const now = options.now ?? Date.now;
  const keysOf = (alertId: string) => alertKeys(prefix, alertId);
  const commitScript = luaCommand(redis, 'alert-commit');
  const settleScript = luaCommand(redis, 'alert-settle');

  async function settle(alertId: string, notificationId: string): Promise<boolean> {
    const keys = keysOf(alertId);
    return (await settleScript(keys.outbox, keys.attempts, notificationId)) === 1;
  }

  return {
    async load(alertId) {
      const keys = keysOf(alertId);
      const [stateHash, outbox, attempts] = resultsOf(await redis.multi().hgetall(keys.state).hgetall(keys.outbox).hgetall(keys.attempts).exec()).map(asHash);
      const problems: string[] = [];
      const version = Number(stateHash?.version ?? 0);
      let state: AlertState | null = null;
      if (stateHash?.state !== undefined) {
        state = readState(stateHash.state);
        if (state === null) problems.push(`the stored state of alert ${alertId} is unreadable; it is evaluated as if new`);
      }
      const lastEvaluationId = stateHash?.evaluationId ? stateHash.evaluationId : null;
      return { version, state, pending: readPending(outbox ?? {}, attempts ?? {}, problems), lastEvaluationId, problems };
    },

    async commitTransition(alertId, expectedVersion, next, notifications, commitOptions = {}) {
      const keys = keysOf(alertId);
      const epoch = randomBytes(4).toString('hex');
      const reply = await commitScript(
        keys.state,
        keys.outbox,
        keys.attempts,
        keys.lock,
        keys.deleted,
        String(expectedVersion),
        commitOptions.lockToken ?? '',
        epoch,
        JSON.stringify(next),
        notificationIdPrefix(alertId),
        String(stateTtlMs),
        String(now()),
        commitOptions.evaluationId ?? '',
        commitOptions.jobCreatedAt === undefined ? '' : String(commitOptions.jobCreatedAt),
        ...notifications.map((n) => JSON.stringify(n)),
      );
      // The shape lua/alert-commit.lua returns: {status, version, id…}.
      const [status, version, ...ids] = reply as [number, number, ...string[]];
      if (status === -1) return { committed: false, reason: 'lock-lost' };
      if (status === -2) return { committed: false, reason: 'deleted' };
      if (status === 0) return { committed: false, reason: 'version-changed', currentVersion: version };
      await options.confirm?.();
      return {
        committed: true,
        version,
        notifications: notifications.map((n, i) => {
          const id = ids[i] ?? '';
          return { ...n, id, seq: seqOf(id), attempts: 0 };
        }),
      };
    },

    async pendingNotifications(alertId) {
      const keys = keysOf(alertId);
      const [outbox, attempts] = resultsOf(await redis.multi().hgetall(keys.outbox).hgetall(keys.attempts).exec()).map(asHash);
      return readPending(outbox ?? {}, attempts ?? {}, []);
    },

    markDelivered: settle,
    abandonNotification: settle,

    async recordDeliveryFailure(alertId, notificationId) {
      const keys = keysOf(alertId);
      const [count] = resultsOf(await redis.multi().hincrby(keys.attempts, notificationId, 1).pexpire(keys.attempts, stateTtlMs).exec());
      return Number(count);
    },

    async deleteAlert(alertId) {
      const keys = keysOf(alertId);
      resultsOf(await redis.multi().del(keys.state, keys.outbox, keys.attempts).set(keys.deleted, String(now()), 'PX', stateTtlMs).exec());
    },

    acquireLock: (alertId, lockOptions) => acquireLock(redis, alertId, keysOf(alertId).lock, lockOptions),
  };
}

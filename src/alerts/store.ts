// Where an alert's state lives between evaluations (Redis, under
// QUEUE_PREFIX, keyed by alertId), and the two guarantees around it:
//
// 1. One evaluation of an alert at a time: a lock (SET NX PX with a random
//    token), renewed while the evaluation runs but never held longer than
//    maxHoldMs (JOB_TIMEOUT_MS), released only by its owner (compare-and-
//    delete in Lua). A worker that dies loses the lock within one lease.
//
// 2. No message lost or doubled when a worker dies between deciding and
//    sending: an outbox. The next state and the notifications the transition
//    asked for are written in ONE Lua script, each notification with a stable
//    id (`alert:<alertId>:<epoch>:<seq>`). The processor then delivers each
//    pending notification with that id as the delivery ledger's job id and
//    removes it from the outbox (markDelivered). A worker that dies before
//    the write sent nothing, and the retry evaluates afresh; one that dies
//    after it leaves the notification pending, and the next run delivers it
//    first; the ledger skips recipients an interrupted send already reached.
//
// Commits are also fenced: they name the version they were computed from
// (optimistic concurrency) and, optionally, the lock token, so an evaluation
// that lost its lock or raced another can never overwrite newer state.
//
// Keys (all under one prefix, so `{courier}` keeps them in one Redis Cluster slot):
//   <prefix>:alerts:<alertId>:state     hash: version, epoch, seq, state (JSON), evaluationId, updatedAt
//   <prefix>:alerts:<alertId>:outbox    hash: notification id → notification JSON
//   <prefix>:alerts:<alertId>:attempts  hash: notification id → failed delivery attempts
//   <prefix>:alerts:<alertId>:lock      string: the owner's token
// Not `<prefix>:alert:…`: that is the alert queue's own namespace, where
// BullMQ keeps job `<id>` at `<prefix>:alert:<id>` and its lock at
// `…:<id>:lock`. A job whose id is its alertId (a producer deduplicating by
// alert) would then hold the alert's lock itself, and wait for it in vain.
// State, outbox and attempts expire after stateTtlMs without a commit.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { RedisClient } from '../queue/connection.js';
import type { AlertState, Notification } from './state.js';

/** An alert not evaluated for this long is forgotten (its schedule is surely gone). */
export const DEFAULT_STATE_TTL_MS = 30 * 24 * 3_600_000;
/** How long a lock lives without renewal: the most a dead worker blocks its alert. */
export const DEFAULT_LOCK_LEASE_MS = 30_000;

/** When a notification that keeps failing is given up, so one bad target cannot block an alert forever. */
export interface OutboxPolicy {
  maxAttempts: number;
  maxAgeMs: number;
}

export const DEFAULT_OUTBOX_POLICY: OutboxPolicy = { maxAttempts: 10, maxAgeMs: 24 * 3_600_000 };

/** A notification written by a commit and not yet marked delivered. */
export interface PendingNotification extends Notification {
  /** Stable across retries and workers: the delivery ledger's job id for this message. */
  id: string;
  /** Order of creation within the alert. */
  seq: number;
  /** Failed delivery attempts recorded so far. */
  attempts: number;
}

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
}

export type CommitResult =
  | { committed: true; version: number; notifications: PendingNotification[] }
  | { committed: false; reason: 'version-changed'; currentVersion: number }
  | { committed: false; reason: 'lock-lost' };

export interface LockOptions {
  /** How long to wait for another evaluation of the alert to finish; 0 tries once. */
  waitMs: number;
  /** The lock never outlives this much time after it was taken (JOB_TIMEOUT_MS). */
  maxHoldMs: number;
  /** Lifetime without renewal; renewed every third of it. */
  leaseMs?: number;
  /** Pause between two tries while waiting (jittered). */
  pollMs?: number;
}

export interface AlertLock {
  readonly alertId: string;
  readonly token: string;
  /** False once a renewal found the lock gone or taken by another owner. */
  readonly held: boolean;
  /** Stops renewing and deletes the lock if it is still ours; true if it was. */
  release(): Promise<boolean>;
}

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
  /** Forgets the alert: state, outbox and attempts. A live lock is left to expire (see README). */
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

export interface AlertKeys {
  state: string;
  outbox: string;
  attempts: string;
  lock: string;
}

export function alertKeys(prefix: string, alertId: string): AlertKeys {
  const base = `${prefix}:alerts:${alertId}`;
  return { state: `${base}:state`, outbox: `${base}:outbox`, attempts: `${base}:attempts`, lock: `${base}:lock` };
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

/** Why a pending notification should be given up now, or null to keep trying. */
export function shouldAbandon(pending: PendingNotification, now: number, policy: OutboxPolicy = DEFAULT_OUTBOX_POLICY): string | null {
  if (pending.attempts >= policy.maxAttempts) return `delivery failed ${pending.attempts} times`;
  const ageMs = now - pending.at;
  if (ageMs > policy.maxAgeMs) return `it is ${Math.round(ageMs / 60_000)} minutes old, more than the ${Math.round(policy.maxAgeMs / 60_000)} allowed`;
  return null;
}

// Lua: all-or-nothing commit. KEYS: state, outbox, attempts, lock.
// ARGV: expected version, lock token ('' = not fenced), epoch for a new
// record, state JSON, id prefix, TTL ms, now ms, evaluation id, then one JSON
// per notification.
// Returns {1, version, id…} | {0, current version} | {-1, 0} (lock lost).
const COMMIT_SCRIPT = `
if ARGV[2] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[2] then
  return {-1, 0}
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then
  return {0, version}
end
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ARGV[3]
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local result = {1, version + 1}
for i = 9, #ARGV do
  seq = seq + 1
  local id = ARGV[5] .. epoch .. ':' .. seq
  redis.call('HSET', KEYS[2], id, ARGV[i])
  result[#result + 1] = id
end
redis.call('HSET', KEYS[1], 'version', version + 1, 'epoch', epoch, 'seq', seq, 'state', ARGV[4], 'evaluationId', ARGV[8], 'updatedAt', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
return result
`;

// Lua: extend the lock only if we still own it. KEYS: lock. ARGV: token, PX.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

// Lua: delete the lock only if we still own it (never someone else's after ours expired).
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

// Lua: remove a notification from the outbox and its attempt count. KEYS: outbox, attempts. ARGV: id.
const SETTLE_SCRIPT = `
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
`;

const timestamp = z.number().finite().nullable();

/** What a stored state must look like to be trusted; anything else is reported, not half-used. */
const storedState = z.object({
  status: z.enum(['ok', 'triggered']),
  triggeredSince: timestamp,
  announced: z.boolean(),
  lastValue: z.number().finite().nullable(),
  lastEvaluatedAt: timestamp,
  lastTriggeredNotificationAt: timestamp,
  errorCount: z.number().int().min(0),
  lastError: z.string().nullable(),
  errorAnnounced: z.boolean(),
  lastErrorNotificationAt: timestamp,
}) satisfies z.ZodType<AlertState>;

const storedNotification = z.object({
  kind: z.enum(['triggered', 'resolved', 'error', 'recovered']),
  audience: z.enum(['deliver', 'onError']),
  value: z.number().finite().nullable(),
  error: z.string().nullable(),
  at: z.number().finite(),
}) satisfies z.ZodType<Notification>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The sequence number at the end of a notification id (alert ids may contain ':'). */
function seqOf(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}

function readPending(outbox: Record<string, string>, attempts: Record<string, string>, problems: string[]): PendingNotification[] {
  const pending: PendingNotification[] = [];
  for (const [id, text] of Object.entries(outbox)) {
    const parsed = storedNotification.safeParse(parseJson(text));
    if (!parsed.success) {
      problems.push(`pending notification ${id} is unreadable and was ignored`);
      continue;
    }
    pending.push({ ...parsed.data, id, seq: seqOf(id), attempts: Number(attempts[id] ?? 0) });
  }
  return pending.sort((a, b) => a.seq - b.seq);
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

  async function settle(alertId: string, notificationId: string): Promise<boolean> {
    const keys = keysOf(alertId);
    const removed = await redis.eval(SETTLE_SCRIPT, 2, keys.outbox, keys.attempts, notificationId);
    return removed === 1;
  }

  return {
    async load(alertId) {
      const keys = keysOf(alertId);
      const [stateHash, outbox, attempts] = resultsOf(await redis.multi().hgetall(keys.state).hgetall(keys.outbox).hgetall(keys.attempts).exec()).map(asHash);
      const problems: string[] = [];
      const version = Number(stateHash?.version ?? 0);
      let state: AlertState | null = null;
      if (stateHash?.state !== undefined) {
        const parsed = storedState.safeParse(parseJson(stateHash.state));
        if (parsed.success) state = parsed.data;
        else problems.push(`the stored state of alert ${alertId} is unreadable; it is evaluated as if new`);
      }
      const lastEvaluationId = stateHash?.evaluationId ? stateHash.evaluationId : null;
      return { version, state, pending: readPending(outbox ?? {}, attempts ?? {}, problems), lastEvaluationId, problems };
    },

    async commitTransition(alertId, expectedVersion, next, notifications, commitOptions = {}) {
      const keys = keysOf(alertId);
      const epoch = randomBytes(4).toString('hex');
      const reply = await redis.eval(
        COMMIT_SCRIPT,
        4,
        keys.state,
        keys.outbox,
        keys.attempts,
        keys.lock,
        String(expectedVersion),
        commitOptions.lockToken ?? '',
        epoch,
        JSON.stringify(next),
        `alert:${alertId}:`,
        String(stateTtlMs),
        String(now()),
        commitOptions.evaluationId ?? '',
        ...notifications.map((n) => JSON.stringify(n)),
      );
      // The shape COMMIT_SCRIPT returns: {status, version, id…}.
      const [status, version, ...ids] = reply as [number, number, ...string[]];
      if (status === -1) return { committed: false, reason: 'lock-lost' };
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
      await redis.del(keys.state, keys.outbox, keys.attempts);
    },

    async acquireLock(alertId, lockOptions) {
      const key = keysOf(alertId).lock;
      const leaseMs = lockOptions.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
      const pollMs = lockOptions.pollMs ?? 200;
      const token = randomBytes(16).toString('hex');
      const deadline = Date.now() + lockOptions.waitMs;
      for (;;) {
        // The first lease is already bounded by maxHoldMs: a lock must never outlive the job's deadline.
        const px = Math.max(1, Math.min(leaseMs, lockOptions.maxHoldMs));
        if ((await redis.set(key, token, 'PX', px, 'NX')) === 'OK') {
          return new RenewingLock(redis, alertId, key, token, leaseMs, Date.now() + lockOptions.maxHoldMs);
        }
        const left = deadline - Date.now();
        if (left <= 0) return null;
        // Jitter, so two waiters do not poll in step.
        await sleep(Math.min(left, pollMs * (0.5 + Math.random())));
      }
    },
  };
}

/** A held lock that renews itself every third of its lease until released or until its hard end. */
class RenewingLock implements AlertLock {
  private stillHeld = true;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    readonly alertId: string,
    private readonly key: string,
    readonly token: string,
    private readonly leaseMs: number,
    private readonly hardEnd: number,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(leaseMs / 3)));
    // Renewal must never keep a draining worker alive on its own.
    this.timer.unref();
  }

  get held(): boolean {
    return this.stillHeld && Date.now() < this.hardEnd;
  }

  private async renew(): Promise<void> {
    const left = this.hardEnd - Date.now();
    if (left <= 0) {
      // Past the job's deadline: stop renewing; the last lease ends at hardEnd.
      clearInterval(this.timer);
      return;
    }
    try {
      const renewed = await this.redis.eval(RENEW_SCRIPT, 1, this.key, this.token, String(Math.min(this.leaseMs, left)));
      if (renewed !== 1) {
        this.stillHeld = false;
        clearInterval(this.timer);
      }
    } catch {
      // Redis unreachable for a moment: the next tick tries again; if the lease
      // runs out meanwhile, the commit's lock fence refuses the stale write.
    }
  }

  async release(): Promise<boolean> {
    clearInterval(this.timer);
    const released = (await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token)) === 1;
    this.stillHeld = false;
    return released;
  }
}

// The alert store against a real Redis: state and outbox written together,
// optimistic concurrency, a worker dying between commit and delivery, the
// per-alert lock, and forgetting an alert.
import type { Command } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INITIAL_STATE, transition, type AlertSettings, type AlertState, type Notification } from '../../src/alerts/state.js';
import { alertKeys, alreadyEvaluated, createAlertStore, shouldAbandon, type AlertStore, type PendingNotification } from '../../src/alerts/store.js';
import { createReceiptLedger } from '../../src/delivery/ledger.js';
import type { RedisClient } from '../../src/redis/connection.js';
import { redisScope } from '../helpers/scope.js';

const scope = redisScope('alert-store');
const { prefix } = scope;
const connect = () => scope.connect();

/** Counts the commands a connection sends about one key: the tries and renewals of a lock, as Redis receives them. */
function commandsAbout(redis: RedisClient, key: string): () => number {
  let count = 0;
  // Every command, scripts included, goes through sendCommand (ioredis's own seam).
  const send = redis.sendCommand.bind(redis) as (command: Command, ...rest: unknown[]) => unknown;
  redis.sendCommand = (command: Command, ...rest: unknown[]) => {
    if (command.args.includes(key)) count += 1;
    return send(command, ...rest);
  };
  return () => count;
}

/** A store on its own connection, as a separate worker process would have. */
function worker(options: { stateTtlMs?: number } = {}): { store: AlertStore; redis: RedisClient } {
  const redis = connect();
  return { store: createAlertStore({ redis, prefix, ...options }), redis };
}

let admin: RedisClient;
let counter = 0;
const newAlertId = () => `cpu-high:${++counter}`;

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const triggered: AlertState = { ...INITIAL_STATE, status: 'triggered', triggeredSince: T0, announced: true, lastValue: 97.5, lastEvaluatedAt: T0, lastTriggeredNotificationAt: T0 };
const triggeredMessage: Notification = { kind: 'triggered', audience: 'deliver', value: 97.5, error: null, at: T0 };
// With its reason, which waits in the outbox with it (the readers' message words it).
const errorMessage: Notification = { kind: 'error', audience: 'onError', value: null, error: 'backend answered 401', reason: { kind: 'http', status: 401 }, at: T0 };

async function keysOf(alertId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:alerts:${alertId}:*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

beforeAll(() => {
  admin = connect();
});

afterAll(() => scope.close());

describe('state and outbox', () => {
  it('an alert never evaluated has version 0, no state and nothing pending', async () => {
    const { store } = worker();
    expect(await store.load(newAlertId())).toEqual({ version: 0, state: null, pending: [], lastEvaluationId: null, problems: [] });
  });

  it('a commit writes the state and its notifications together, with stable ids under QUEUE_PREFIX', async () => {
    const { store } = worker({ stateTtlMs: 3_600_000 });
    const alertId = newAlertId();
    const result = await store.commitTransition(alertId, 0, triggered, [errorMessage, triggeredMessage]);
    expect(result.committed).toBe(true);
    if (!result.committed) return;
    expect(result.version).toBe(1);
    expect(result.notifications.map((n) => n.id)).toEqual([expect.stringMatching(new RegExp(`^alert:${alertId}:[0-9a-f]{8}:1$`)), expect.stringMatching(/:2$/)]);
    expect(result.notifications.map((n) => n.kind)).toEqual(['error', 'triggered']);

    const loaded = await store.load(alertId);
    expect(loaded.version).toBe(1);
    expect(loaded.state).toEqual(triggered);
    expect(loaded.pending).toEqual(result.notifications);
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).outbox, alertKeys(prefix, alertId).state]);
    // Forgotten after stateTtlMs without a commit.
    for (const key of [alertKeys(prefix, alertId).state, alertKeys(prefix, alertId).outbox]) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    }
  });

  it('keeps numbering notifications across commits, oldest first', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    await store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    const second = await store.commitTransition(alertId, 1, { ...triggered, status: 'ok' }, [{ ...triggeredMessage, kind: 'resolved', value: 3, at: T0 + 60_000 }]);
    expect(second.committed && second.version).toBe(2);
    const pending = await store.pendingNotifications(alertId);
    expect(pending.map((n) => [n.seq, n.kind])).toEqual([
      [1, 'triggered'],
      [2, 'resolved'],
    ]);
  });

  it('of two commits from the same version, exactly one wins, and only its notifications are pending', async () => {
    for (let round = 0; round < 10; round++) {
      const alertId = newAlertId();
      const [a, b] = [worker().store, worker().store];
      await a.commitTransition(alertId, 0, INITIAL_STATE, []);
      const results = await Promise.all([
        a.commitTransition(alertId, 1, triggered, [triggeredMessage]),
        b.commitTransition(alertId, 1, { ...triggered, lastValue: 99 }, [{ ...triggeredMessage, value: 99 }]),
      ]);
      const winners = results.filter((r) => r.committed);
      const losers = results.filter((r) => !r.committed);
      expect(winners).toHaveLength(1);
      expect(losers).toEqual([{ committed: false, reason: 'version-changed', currentVersion: 2 }]);
      const stored = await a.load(alertId);
      const winnerValue = results[0]?.committed ? 97.5 : 99;
      expect(stored.version).toBe(2);
      expect(stored.state?.lastValue).toBe(winnerValue);
      expect(stored.pending.map((n) => n.value)).toEqual([winnerValue]);
    }
  });

  it('a worker that dies after the commit leaves the notification pending for the next one, under the same id', async () => {
    const alertId = newAlertId();
    const dying = worker();
    const committed = await dying.store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    if (!committed.committed) throw new Error('the first commit must succeed');
    const id = committed.notifications[0]?.id;
    // The worker dies before it could deliver and mark the notification.
    dying.redis.disconnect();

    const next = worker().store;
    const found = await next.load(alertId);
    expect(found.version).toBe(1);
    expect(found.pending.map((n) => ({ id: n.id, kind: n.kind, value: n.value }))).toEqual([{ id, kind: 'triggered', value: 97.5 }]);
    // Delivered (with `id` as the ledger's job id), then marked: once only.
    expect(await next.markDelivered(alertId, id ?? '')).toBe(true);
    expect(await next.markDelivered(alertId, id ?? '')).toBe(false);
    expect(await next.pendingNotifications(alertId)).toEqual([]);
    // Marking does not change the state's version: the evaluation that follows commits from the version it loaded.
    expect((await next.load(alertId)).version).toBe(1);
  });

  it('with the delivery ledger, a worker dying after sending but before marking never doubles the message', async () => {
    const alertId = newAlertId();
    const channel = '19:ops@thread.tacv2';
    const posted: string[] = [];
    /** A send as deliver.ts does it: skip recipients with a receipt for this job id, else post and record. */
    async function send(redis: RedisClient, n: PendingNotification): Promise<void> {
      const ledger = createReceiptLedger({ redis, prefix });
      if ((await ledger.lookup(n.id, 'teams-0', [channel])).has(channel)) return;
      posted.push(`${n.kind} ${n.value}`);
      await ledger.record(n.id, 'teams-0', [channel], `activity-${posted.length}`);
    }

    const dying = worker();
    const result = await dying.store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    if (!result.committed) throw new Error('commit refused');
    for (const n of result.notifications) await send(dying.redis, n);
    dying.redis.disconnect(); // dies before markDelivered

    const retry = worker();
    const { pending } = await retry.store.load(alertId);
    expect(pending).toHaveLength(1);
    for (const n of pending) {
      await send(retry.redis, n);
      await retry.store.markDelivered(alertId, n.id);
    }
    expect(posted).toEqual(['triggered 97.5']);
    expect(await retry.store.pendingNotifications(alertId)).toEqual([]);
  });

  it('remembers which job evaluated last, so a retry after a failed delivery only delivers', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    // Attempt 1 of job "repeat:cpu:1" evaluated (triggered), then its delivery failed.
    await store.commitTransition(alertId, 0, triggered, [triggeredMessage], { evaluationId: 'repeat:cpu:1' });
    const retry = await store.load(alertId);
    expect(retry.lastEvaluationId).toBe('repeat:cpu:1');
    expect(alreadyEvaluated(retry, 'repeat:cpu:1')).toBe(true);
    // The next scheduled job evaluates.
    expect(alreadyEvaluated(retry, 'repeat:cpu:2')).toBe(false);

    // A job whose evaluation failed is evaluated again by its retries.
    await store.commitTransition(alertId, retry.version, { ...triggered, errorCount: 1, lastError: 'HTTP 500' }, [errorMessage], { evaluationId: 'repeat:cpu:2' });
    expect(alreadyEvaluated(await store.load(alertId), 'repeat:cpu:2')).toBe(false);
  });

  it('counts failed deliveries, and gives a notification up by the outbox policy', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    const result = await store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    if (!result.committed) throw new Error('commit refused');
    const id = result.notifications[0]?.id ?? '';
    expect(await store.recordDeliveryFailure(alertId, id)).toBe(1);
    expect(await store.recordDeliveryFailure(alertId, id)).toBe(2);
    const [pending] = await store.pendingNotifications(alertId);
    expect(pending?.attempts).toBe(2);
    if (!pending) return;
    expect(shouldAbandon(pending, T0 + 60_000, { maxAttempts: 3, maxAgeMs: 3_600_000 })).toBeNull();
    expect(shouldAbandon({ ...pending, attempts: 3 }, T0, { maxAttempts: 3, maxAgeMs: 3_600_000 })).toBe('delivery failed 3 times');
    expect(shouldAbandon(pending, T0 + 2 * 3_600_000, { maxAttempts: 3, maxAgeMs: 3_600_000 })).toBe('it is 120 minutes old, more than the 60 allowed');
    expect(await store.abandonNotification(alertId, id)).toBe(true);
    expect(await store.pendingNotifications(alertId)).toEqual([]);
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).state]);
  });

  it('reports an unreadable stored state instead of failing every evaluation, and lets the next commit replace it', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    await store.commitTransition(alertId, 0, triggered, []);
    await admin.hset(alertKeys(prefix, alertId).state, 'state', '{"status":"weird"}');
    await admin.hset(alertKeys(prefix, alertId).outbox, `alert:${alertId}:x:9`, 'not json');
    const loaded = await store.load(alertId);
    expect(loaded.state).toBeNull();
    expect(loaded.version).toBe(1);
    expect(loaded.problems).toEqual([
      `the stored state of alert ${alertId} is unreadable; it is evaluated as if new`,
      `pending notification alert:${alertId}:x:9 is unreadable and was ignored`,
    ]);
    const replaced = await store.commitTransition(alertId, loaded.version, INITIAL_STATE, []);
    expect(replaced.committed).toBe(true);
    expect((await store.load(alertId)).state).toEqual(INITIAL_STATE);
  });
});

describe('deleteAlert', () => {
  it('removes the state, the outbox and the attempt counts', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    const result = await store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    if (!result.committed) throw new Error('commit refused');
    await store.recordDeliveryFailure(alertId, result.notifications[0]?.id ?? '');
    expect(await keysOf(alertId)).toHaveLength(3);

    await store.deleteAlert(alertId);
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).deleted]);
    expect(await store.load(alertId)).toEqual({ version: 0, state: null, pending: [], lastEvaluationId: null, problems: [] });
  });

  it('an evaluation in flight when the alert is deleted cannot bring its state back', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    await store.commitTransition(alertId, 0, INITIAL_STATE, []);
    const inFlight = await store.load(alertId);
    await store.deleteAlert(alertId);
    expect(await store.commitTransition(alertId, inFlight.version, triggered, [triggeredMessage])).toEqual({ committed: false, reason: 'version-changed', currentVersion: 0 });
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).deleted]);
  });

  it('an evaluation whose job was made before the deletion, and loads only after it, cannot write the state back either', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    await store.commitTransition(alertId, 0, INITIAL_STATE, []);
    const jobMadeAt = Date.now() - 1_000;
    await store.deleteAlert(alertId);
    const loadedAfter = await store.load(alertId);
    expect(loadedAfter.version).toBe(0);
    expect(await store.commitTransition(alertId, loadedAfter.version, triggered, [triggeredMessage], { jobCreatedAt: jobMadeAt })).toEqual({ committed: false, reason: 'deleted' });
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).deleted]);
  });

  it('an alert created again under the same id gets new notification ids, so the ledger never mistakes them for old ones', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    const first = await store.commitTransition(alertId, 0, triggered, [triggeredMessage]);
    await store.deleteAlert(alertId);
    // A job of the re-created alert is made after the deletion: the tombstone does not hold it back.
    const again = await store.commitTransition(alertId, 0, triggered, [triggeredMessage], { jobCreatedAt: Date.now() + 1 });
    if (!first.committed || !again.committed) throw new Error('commit refused');
    expect(again.notifications[0]?.seq).toBe(1);
    expect(again.notifications[0]?.id).not.toBe(first.notifications[0]?.id);
  });

  it('leaves a live lock to expire, so an evaluation in flight is not joined by a second one', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    const lock = await store.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 });
    await store.deleteAlert(alertId);
    expect((await keysOf(alertId)).sort()).toEqual([alertKeys(prefix, alertId).deleted, alertKeys(prefix, alertId).lock].sort());
    expect(await lock?.release()).toBe(true);
    expect(await keysOf(alertId)).toEqual([alertKeys(prefix, alertId).deleted]);
  });
});

describe('lock', () => {
  it('is held by one evaluation at a time and released only by its owner', async () => {
    const [a, b] = [worker().store, worker().store];
    const alertId = newAlertId();
    const first = await a.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 });
    expect(first?.held).toBe(true);
    expect(await b.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 })).toBeNull();
    expect(await first?.release()).toBe(true);
    const second = await b.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 });
    expect(second).not.toBeNull();
    // A stale owner releasing again must not free someone else's lock.
    expect(await first?.release()).toBe(false);
    expect(await admin.get(alertKeys(prefix, alertId).lock)).toBe(second?.token);
    await second?.release();
  });

  it('a waiting evaluation gets the lock once the holder releases it', async () => {
    const [a, b] = [worker(), worker()];
    const alertId = newAlertId();
    const tries = commandsAbout(b.redis, alertKeys(prefix, alertId).lock);
    const holder = await a.store.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 });
    const waiting = b.store.acquireLock(alertId, { waitMs: 30_000, maxHoldMs: 60_000, pollMs: 50 });
    // A second try means the first one found the lock held: the evaluation is waiting.
    await vi.waitFor(() => expect(tries()).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 10 });
    await holder?.release();
    const got = await waiting;
    expect(got?.held).toBe(true);
    await got?.release();
  });

  it('is renewed while the evaluation runs, beyond its lease', async () => {
    const { store, redis } = worker();
    const alertId = newAlertId();
    const sent = commandsAbout(redis, alertKeys(prefix, alertId).lock);
    const lock = await store.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000, leaseMs: 1200 });
    // Renewed every third of the lease: after four renewals the first lease has run out long ago.
    await vi.waitFor(() => expect(sent()).toBeGreaterThanOrEqual(1 + 4), { timeout: 15_000, interval: 50 });
    expect(lock?.held).toBe(true);
    expect(await admin.get(alertKeys(prefix, alertId).lock)).toBe(lock?.token);
    await lock?.release();
  });

  it('never outlives maxHoldMs (JOB_TIMEOUT_MS), even while renewed', async () => {
    const { store } = worker();
    const alertId = newAlertId();
    const lock = await store.acquireLock(alertId, { waitMs: 0, maxHoldMs: 1500, leaseMs: 1000 });
    const key = alertKeys(prefix, alertId).lock;
    await expect.poll(() => admin.exists(key), { timeout: 15_000, interval: 100 }).toBe(0);
    expect(lock?.held).toBe(false);
  });

  it('a commit fenced by a lock that was lost is refused', async () => {
    const [a, b] = [worker().store, worker().store];
    const alertId = newAlertId();
    const stale = await a.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000, leaseMs: 600 });
    // The lease runs out (the worker froze) and another evaluation takes over.
    await admin.del(alertKeys(prefix, alertId).lock);
    const fresh = await b.acquireLock(alertId, { waitMs: 0, maxHoldMs: 60_000 });
    expect(await a.commitTransition(alertId, 0, triggered, [triggeredMessage], { lockToken: stale?.token ?? '' })).toEqual({ committed: false, reason: 'lock-lost' });
    expect((await b.commitTransition(alertId, 0, triggered, [triggeredMessage], { lockToken: fresh?.token ?? '' })).committed).toBe(true);
    // The stale lock's renewal notices it is no longer the owner.
    await expect.poll(() => stale?.held, { timeout: 10_000, interval: 50 }).toBe(false);
    await fresh?.release();
  });
});

describe('two evaluations of one alert at once', () => {
  const settings: AlertSettings = { notify: 'on-change', cooldownMinutes: 0, hasErrorTargets: false };

  /** What the processor does around the state machine: lock, deliver leftovers, evaluate, commit. */
  async function evaluate(store: AlertStore, alertId: string, value: number, sent: string[]): Promise<void> {
    const lock = await store.acquireLock(alertId, { waitMs: 30_000, maxHoldMs: 60_000, pollMs: 50 });
    if (!lock) throw new Error('the lock was not obtained within 30 s');
    try {
      const loaded = await store.load(alertId);
      const { next, notifications } = transition(loaded.state, { kind: 'value', value, holds: value > 10 }, Date.now(), settings);
      const result = await store.commitTransition(alertId, loaded.version, next, notifications, { lockToken: lock.token });
      if (!result.committed) throw new Error(`commit refused: ${result.reason}`);
      for (const n of result.notifications) {
        sent.push(n.kind);
        await store.markDelivered(alertId, n.id);
      }
    } finally {
      await lock.release();
    }
  }

  it('give one message', async () => {
    const alertId = newAlertId();
    const sent: string[] = [];
    await Promise.all([evaluate(worker().store, alertId, 15, sent), evaluate(worker().store, alertId, 16, sent), evaluate(worker().store, alertId, 17, sent)]);
    expect(sent).toEqual(['triggered']);
    const { state, version, pending } = await worker().store.load(alertId);
    expect(version).toBe(3);
    expect(state?.status).toBe('triggered');
    expect(pending).toEqual([]);
  });
});

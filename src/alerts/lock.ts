// One evaluation of an alert at a time: a lock (SET NX PX with a random
// token), renewed while the evaluation runs but never held longer than
// maxHoldMs (JOB_TIMEOUT_MS), released only by its owner (compare-and-delete,
// lua/lock-release.lua). A worker that dies loses the lock within one lease.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../redis/connection.js';
import { luaCommand, type LuaCommand } from '../redis/lua.js';

/** How long a lock lives without renewal: the most a dead worker blocks its alert. */
export const DEFAULT_LOCK_LEASE_MS = 30_000;

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

/** Takes the lock at `key`, waiting up to `options.waitMs` for its holder; null if it stayed taken. */
export async function acquireLock(redis: RedisClient, alertId: string, key: string, options: LockOptions): Promise<AlertLock | null> {
  const leaseMs = options.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
  const pollMs = options.pollMs ?? 200;
  const token = randomBytes(16).toString('hex');
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    // The first lease is already bounded by maxHoldMs: a lock must never outlive the job's deadline.
    const px = Math.max(1, Math.min(leaseMs, options.maxHoldMs));
    if ((await redis.set(key, token, 'PX', px, 'NX')) === 'OK') {
      return new RenewingLock(redis, alertId, key, token, leaseMs, Date.now() + options.maxHoldMs);
    }
    const left = deadline - Date.now();
    if (left <= 0) return null;
    // Jitter, so two waiters do not poll in step.
    await sleep(Math.min(left, pollMs * (0.5 + Math.random())));
  }
}

/** A held lock that renews itself every third of its lease until released or until its hard end. */
class RenewingLock implements AlertLock {
  private stillHeld = true;
  private readonly timer: NodeJS.Timeout;
  private readonly renewScript: LuaCommand;
  private readonly releaseScript: LuaCommand;

  constructor(
    redis: RedisClient,
    readonly alertId: string,
    private readonly key: string,
    readonly token: string,
    private readonly leaseMs: number,
    private readonly hardEnd: number,
  ) {
    this.renewScript = luaCommand(redis, 'lock-renew');
    this.releaseScript = luaCommand(redis, 'lock-release');
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
      const renewed = await this.renewScript(this.key, this.token, String(Math.min(this.leaseMs, left)));
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
    const released = (await this.releaseScript(this.key, this.token)) === 1;
    this.stillHeld = false;
    return released;
  }
}

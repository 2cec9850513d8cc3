// Teams' per-bot, per-thread rate for creating conversations (new channel
// posts), kept ahead of time by every worker together, so a burst of alerts
// to one channel is spread out instead of answered with 429 until jobs run
// out of attempts. Microsoft documents, per bot and channel
// (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit):
// 7 per second, 8 per 2 s, 60 per 30 s and 1,800 per hour.
//
// Each request takes a slot in a sliding-window log in Redis, one sorted set
// per channel under QUEUE_PREFIX (so on Redis Cluster, a `{courier}` prefix
// keeps it in the queue's hash slot):
//   <prefix>:teams:pace:<channel id>   members: one per request, scored by Redis' own clock (ms)
// A Lua script (lua/teams-pace-take.lua) checks every window and takes the slot atomically, or answers
// how long until one frees; the worker waits that long (plus jitter) and asks
// again. Redis' clock (TIME) is the one clock all workers share. Each window
// is kept LATENCY_ALLOWANCE_MS longer than Teams' own: a request reaches Teams
// a moment after it took its slot, and two requests must not arrive closer
// together than their slots were.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { abortReason } from '../deadline.js';
import { CourierError } from '../errors.js';
import type { RedisClient } from '../redis/connection.js';
import { luaCommand } from '../redis/lua.js';

export interface PaceWindow {
  ms: number;
  max: number;
}

/** Create conversation, per bot per thread (Microsoft's table). */
export const TEAMS_THREAD_WINDOWS: PaceWindow[] = [
  { ms: 1000, max: 7 },
  { ms: 2000, max: 8 },
  { ms: 30_000, max: 60 },
  { ms: 3_600_000, max: 1800 },
];

/** Time allowed between taking a slot and Teams receiving the request. */
export const LATENCY_ALLOWANCE_MS = 250;

export interface ChannelPace {
  /**
   * Waits for a slot for one request to `channelId`, until `deadlineMs`;
   * resolves with the time waited. Throws DELIVERY_FAILED (retried) when no
   * slot frees before the deadline.
   */
  take(channelId: string, options: { deadlineMs: number; signal?: AbortSignal }): Promise<number>;
}

export interface ChannelPaceDeps {
  redis: RedisClient;
  /** QUEUE_PREFIX. */
  prefix: string;
  windows?: PaceWindow[];
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export function paceKey(prefix: string, channelId: string): string {
  return `${prefix}:teams:pace:${channelId}`;
}

/** Waits `ms`; an abort ends the wait with the signal's reason (the job's deadline error), not a bare AbortError. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? abortReason(signal) : err;
  }
}

export function createChannelPace({ redis, prefix, windows = TEAMS_THREAD_WINDOWS, sleep = abortableSleep, random = Math.random }: ChannelPaceDeps): ChannelPace {
  const takeSlot = luaCommand(redis, 'teams-pace-take');
  const args = windows.flatMap((w) => [w.ms + LATENCY_ALLOWANCE_MS, w.max]);
  return {
    async take(channelId, { deadlineMs, signal }) {
      const started = Date.now();
      for (;;) {
        const waitMs = Number(await takeSlot(paceKey(prefix, channelId), randomUUID(), ...args));
        if (waitMs <= 0) return Date.now() - started;
        // Jitter: workers waiting for the same slot should not all ask at the same instant.
        const sleepMs = waitMs + Math.round(random() * 50);
        if (Date.now() + sleepMs > deadlineMs) {
          throw new CourierError('DELIVERY_FAILED', `Teams' rate for one channel (${windows.map((w) => `${w.max} posts per ${w.ms >= 60_000 ? `${w.ms / 60_000} min` : `${w.ms / 1000} s`}`).join(', ')}) leaves no slot for this post before the job's deadline; the job will be retried later`);
        }
        await sleep(sleepMs, signal);
      }
    },
  };
}

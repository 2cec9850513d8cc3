// The per-channel pace shared by all workers through Redis: a burst of posts
// to one channel, taken by two "workers" (two Redis connections) at once,
// never goes over Teams' per-thread rate, and a post that cannot get a slot
// before its job's deadline fails at once, saying why, instead of waiting.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourierError } from '../../src/errors.js';
import { createChannelPace, paceKey, TEAMS_THREAD_WINDOWS } from '../../src/delivery/teams-pace.js';
import { rejection } from '../helpers/rejection.js';
import { redisScope } from '../helpers/scope.js';

const scope = redisScope('teams-pace');
const { prefix } = scope;
let workerA: Redis;
let workerB: Redis;

beforeAll(() => {
  workerA = new Redis(scope.url, { maxRetriesPerRequest: 1 });
  workerB = new Redis(scope.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  workerA?.disconnect();
  workerB?.disconnect();
  await scope.close();
});

/** The most entries of sorted times inside any window of `ms`. */
function busiest(times: number[], ms: number): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i]! && t < times[i]! + ms).length);
  return most;
}

describe("Teams' per-channel pace", () => {
  it('spreads a burst to one channel from two workers within 7 per second and 8 per 2 seconds', async () => {
    const paces = [createChannelPace({ redis: workerA, prefix }), createChannelPace({ redis: workerB, prefix })];
    const channel = '19:burst@thread.tacv2';
    const deadlineMs = Date.now() + 60_000;

    const waited = await Promise.all(Array.from({ length: 12 }, (_, i) => paces[i % 2]!.take(channel, { deadlineMs })));

    // Redis' own clock stamped every slot: read them back.
    const scores = (await workerA.zrange(paceKey(prefix, channel), 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number).sort((a, b) => a - b);
    expect(scores).toHaveLength(12);
    expect(busiest(scores, 1000)).toBeLessThanOrEqual(7);
    expect(busiest(scores, 2000)).toBeLessThanOrEqual(8);
    expect(waited.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(4);
    // Another channel is not held back by this one.
    expect(await paces[0]!.take('19:quiet@thread.tacv2', { deadlineMs })).toBeLessThan(1000);
    expect(TEAMS_THREAD_WINDOWS.map((w) => [w.ms, w.max])).toEqual([[1000, 7], [2000, 8], [30_000, 60], [3_600_000, 1800]]);
  });

  it("fails at once, naming the rate, when no slot frees before the job's deadline", async () => {
    const pace = createChannelPace({ redis: workerA, prefix, windows: [{ ms: 60_000, max: 1 }] });
    await pace.take('19:hourly@thread.tacv2', { deadlineMs: Date.now() + 5_000 });
    const started = Date.now();
    const err = await rejection(pace.take('19:hourly@thread.tacv2', { deadlineMs: Date.now() + 5_000 }), CourierError);
    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.message).toMatch(/1 posts per 1 min.*before the job's deadline/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

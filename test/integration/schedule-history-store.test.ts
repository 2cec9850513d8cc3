// The schedule history's store against a real Redis: one record per run,
// updated by its attempts; bounded by age and by count; the last time of
// each outcome moves forward only; everything under the queue prefix.
import { afterAll, describe, expect, it } from 'vitest';
import { createScheduleHistory, type RunRef } from '../../src/history/store.js';
import { redisScope } from '../helpers/scope.js';

const scope = redisScope('history-store');
const redis = scope.connect();
const DAY = 86_400_000;
let clock = Date.UTC(2026, 11, 7, 8, 0, 0);
const history = createScheduleHistory({ redis, prefix: scope.prefix, retentionMs: 90 * DAY, maxRuns: 5, now: () => clock });

afterAll(() => scope.close());

const run = (scheduleId: string, dueAt: number, queue: RunRef['queue'] = 'pdf-report'): RunRef => ({ queue, scheduleId, runId: `repeat:${scheduleId}:${dueAt}`, dueAt });

describe('schedule history store', () => {
  it('keeps one record per run: a retried attempt and the final one update it', async () => {
    const r = run('weekly', clock);
    await history.attemptStarted(r, { attempt: 1, maxAttempts: 3, at: clock + 1000 });
    expect(await history.run('pdf-report', 'weekly', r.runId)).toMatchObject({ outcome: 'running', attempts: 1, startedAt: clock + 1000, endedAt: null });

    await history.attemptEnded(r, { attempt: 1, maxAttempts: 3, at: clock + 5000, outcome: 'retrying', error: { code: 'SELECTOR_TIMEOUT', message: 'SELECTOR_TIMEOUT: the story …' } });
    await history.attemptStarted(r, { attempt: 2, maxAttempts: 3, at: clock + 10_000 });
    expect(await history.run('pdf-report', 'weekly', r.runId)).toMatchObject({ outcome: 'running', attempts: 2, startedAt: clock + 1000, endedAt: null, error: { code: 'SELECTOR_TIMEOUT' } });
    // Not a final outcome yet: no last-run time.
    expect(await history.lastRuns()).toEqual([]);

    await history.attemptEnded(r, { attempt: 2, maxAttempts: 3, at: clock + 20_000, outcome: 'delivered', recipients: ['a@corp.com', 'teams:19:x@thread.tacv2'] });
    const runs = await history.runs('pdf-report', 'weekly');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toEqual({
      queue: 'pdf-report',
      scheduleId: 'weekly',
      runId: r.runId,
      dueAt: clock,
      startedAt: clock + 1000,
      endedAt: clock + 20_000,
      outcome: 'delivered',
      attempts: 2,
      maxAttempts: 3,
      error: { code: 'SELECTOR_TIMEOUT', message: 'SELECTOR_TIMEOUT: the story …' },
      recipients: ['a@corp.com', 'teams:19:x@thread.tacv2'],
    });
    expect(await history.lastRuns()).toEqual([{ queue: 'pdf-report', scheduleId: 'weekly', outcome: 'delivered', at: clock + 20_000 }]);
  });

  it('lists runs latest due first, keeps at most maxRuns, and drops runs older than the retention', async () => {
    const due = (i: number) => clock - i * DAY;
    for (let i = 0; i < 8; i++) await history.attemptEnded(run('daily', due(i)), { attempt: 1, maxAttempts: 1, at: due(i) + 1000, outcome: 'nothing-to-send' });
    const runs = await history.runs('pdf-report', 'daily');
    expect(runs.map((r) => r.dueAt)).toEqual([0, 1, 2, 3, 4].map(due));
    // The trimmed runs' hashes are gone too, not only their index entries.
    expect(await history.run('pdf-report', 'daily', run('daily', due(7)).runId)).toBeNull();

    // 100 days later, one new run: the 90-day-old ones go.
    clock += 100 * DAY;
    await history.attemptEnded(run('daily', clock), { attempt: 1, maxAttempts: 1, at: clock, outcome: 'failed', error: { code: 'DATA_FAILED', message: 'DATA_FAILED: …' } });
    expect((await history.runs('pdf-report', 'daily')).map((r) => r.outcome)).toEqual(['failed']);
    // weekly has had no record for 100 days: out of the index and the last times.
    expect((await history.schedules()).map((s) => s.scheduleId)).toEqual(['daily']);
    expect(await history.lastRuns()).toEqual([{ queue: 'pdf-report', scheduleId: 'daily', outcome: 'failed', at: clock }]);
  });

  it('moves a last-run time forward only, and tells schedules of the same id in two queues apart', async () => {
    const newer = run('twins', clock);
    const older = run('twins', clock - DAY);
    await history.attemptEnded(newer, { attempt: 1, maxAttempts: 1, at: clock + 500, outcome: 'delivered', recipients: [] });
    await history.attemptEnded(older, { attempt: 3, maxAttempts: 3, at: clock + 900_000, outcome: 'delivered', recipients: [] });
    await history.attemptEnded(older, { attempt: 3, maxAttempts: 3, at: clock + 800, outcome: 'delivered', recipients: [] });
    await history.attemptEnded(run('twins', clock, 'alert'), { attempt: 1, maxAttempts: 1, at: clock + 600, outcome: 'nothing-to-send' });
    const last = (await history.lastRuns()).filter((l) => l.scheduleId === 'twins');
    expect(last).toEqual(
      expect.arrayContaining([
        { queue: 'pdf-report', scheduleId: 'twins', outcome: 'delivered', at: clock + 900_000 },
        { queue: 'alert', scheduleId: 'twins', outcome: 'nothing-to-send', at: clock + 600 },
      ]),
    );
    expect(last).toHaveLength(2);
    expect((await history.queuesOf('twins')).sort()).toEqual(['alert', 'pdf-report']);
    expect(await history.queuesOf('nobody')).toEqual([]);
  });

  it('writes only keys under the queue prefix, each with an expiry', async () => {
    const ours = await redis.keys(`${scope.prefix}*`);
    expect(ours.length).toBeGreaterThan(0);
    for (const key of ours) {
      expect(key.startsWith(`${scope.prefix}:schedule-history:`)).toBe(true);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
  });
});

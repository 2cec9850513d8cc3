// The fault suite's verdict (bench/chaos/tally.ts) is pure: it must see a
// lost job, a missing or doubled message, and a failure of the wrong kind,
// or the suite's zeros would prove nothing.
import { describe, expect, it } from 'vitest';
import { tally, type FinalState, type TrackedJob } from '../../bench/chaos/tally.js';

const share = (id: string): TrackedJob => ({ queue: 'screenshot', id, label: `share ${id}`, expect: { kind: 'complete' }, recipients: [`${id}-to@x.example`], channels: [`19:${id}`] });
const malformed = (id: string): TrackedJob => ({ queue: 'screenshot', id, label: `malformed ${id}`, expect: { kind: 'fail', code: 'INVALID_JOB', maxAttempts: 1 }, recipients: [], channels: [] });
const done: FinalState = { state: 'completed', attemptsMade: 1, failedReason: null };
const invalid: FinalState = { state: 'failed', attemptsMade: 1, failedReason: 'INVALID_JOB: url: required' };
const finals = (entries: [TrackedJob, FinalState][]) => new Map(entries.map(([job, state]) => [`${job.queue}/${job.id}`, state]));
const counts = (received: Record<string, number>) => ({ email: (a: string) => received[a] ?? 0, teams: (c: string) => received[c] ?? 0 });

describe('the chaos verdict', () => {
  it('counts a clean run: completed jobs whose recipients got one message each, malformed jobs failed INVALID_JOB at once', () => {
    const a = share('a');
    const m = malformed('m');
    const { row, problems } = tally([a, m], finals([[a, done], [m, invalid]]), counts({ 'a-to@x.example': 1, '19:a': 1 }));
    expect(row).toEqual({ jobs: 2, completed: 1, failedAsExpected: 1, unexpected: 0, lost: 0, duplicates: 0, window: 0 });
    expect(problems).toEqual([]);
  });

  it('counts a job that never finished, or vanished, as lost', () => {
    const a = share('a');
    const b = share('b');
    const { row, problems } = tally([a, b], finals([[a, { state: 'delayed', attemptsMade: 2, failedReason: 'BROWSER_CRASHED: …' }]]), counts({}));
    expect(row.lost).toBe(2);
    expect(problems).toEqual(['share a (screenshot/a) never finished: it is delayed', 'share b (screenshot/b) never finished: it is unknown']);
  });

  it('counts each copy beyond the first as a duplicate, and a completed job whose recipient got nothing as lost', () => {
    const a = share('a');
    const { row, problems } = tally([a], finals([[a, done]]), counts({ 'a-to@x.example': 3, '19:a': 0 }));
    expect(row).toMatchObject({ completed: 1, duplicates: 2, lost: 1 });
    expect(problems).toEqual(['share a (screenshot/a): a-to@x.example received 3 copies', 'share a (screenshot/a) completed, but channel 19:a received nothing']);
  });

  it('counts a second copy in the documented window (a worker killed mid-send) apart from duplicates, and a third as a duplicate', () => {
    const a = { ...share('a'), window: ['a-to@x.example'] };
    const b = { ...share('b'), window: ['channel 19:b'] };
    const { row, problems } = tally([a, b], finals([[a, done], [b, done]]), counts({ 'a-to@x.example': 2, '19:a': 1, 'b-to@x.example': 1, '19:b': 3 }));
    expect(row).toMatchObject({ completed: 2, duplicates: 1, window: 1, lost: 0 });
    expect(problems).toEqual(['share b (screenshot/b): channel 19:b received 3 copies']);
  });

  it('counts as unexpected: a good job that failed, a malformed one that completed, retried, or failed with another code', () => {
    const a = share('a');
    const [m1, m2, m3] = [malformed('m1'), malformed('m2'), malformed('m3')];
    const { row, problems } = tally(
      [a, m1, m2, m3],
      finals([
        [a, { state: 'failed', attemptsMade: 3, failedReason: 'DELIVERY_FAILED: smtp down' }],
        [m1, done],
        [m2, { ...invalid, attemptsMade: 3 }],
        [m3, { state: 'failed', attemptsMade: 1, failedReason: 'FORBIDDEN_URL: elsewhere' }],
      ]),
      counts({}),
    );
    expect(row).toMatchObject({ jobs: 4, completed: 0, failedAsExpected: 0, unexpected: 4, lost: 0 });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toBe('share a (screenshot/a) failed after 3 attempt(s): DELIVERY_FAILED: smtp down');
  });
});

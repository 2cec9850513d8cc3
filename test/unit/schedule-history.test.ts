// The pure parts of the schedule history: which run a job is, how a result
// becomes an outcome and recipients, how an error is kept, how a waiting
// job's age is told, and what `courier schedules history` prints.
import { describe, expect, it } from 'vitest';
import { isQueueName } from '../../src/contracts/queues.js';
import { formatHistory } from '../../src/history/format.js';
import { MAX_ERROR_CHARS, errorOf, outcomeOf, recipientsOf, runRefOf, type ScheduleRun } from '../../src/history/run.js';
import { runFromFields } from '../../src/history/store.js';
import { oldestWaitingSeconds, waitingSince } from '../../src/queue/backlog.js';

const DUE = Date.UTC(2026, 11, 7, 7, 0, 0);

describe('runRefOf', () => {
  it('is the scheduler, the job and the due time of a scheduler-made job', () => {
    const job = { id: `repeat:weekly:${DUE}`, queueName: 'pdf-report', repeatJobKey: 'weekly', timestamp: DUE - 604_800_000, opts: { prevMillis: DUE, delay: 604_800_000 } };
    expect(runRefOf(job, isQueueName)).toEqual({ queue: 'pdf-report', scheduleId: 'weekly', runId: `repeat:weekly:${DUE}`, dueAt: DUE });
    const { prevMillis: _, ...withoutPrev } = job.opts;
    expect(runRefOf({ ...job, opts: withoutPrev }, isQueueName)?.dueAt).toBe(DUE);
  });

  it('is null for a job no scheduler made, or of another queue', () => {
    expect(runRefOf({ id: '7', queueName: 'pdf-report', timestamp: DUE, opts: {} }, isQueueName)).toBeNull();
    expect(runRefOf({ id: '7', queueName: 'other', repeatJobKey: 'x', timestamp: DUE, opts: {} }, isQueueName)).toBeNull();
  });
});

describe('outcome and recipients', () => {
  const email = { type: 'email' as const, to: ['a@corp.com', 'b@corp.com'], status: 'sent' as const, id: '<m1>' };
  const teams = { type: 'teams' as const, channelId: '19:x@thread.tacv2', status: 'already-sent' as const, id: 'a1' };

  it('delivered when a message went (or had gone) to someone, else nothing to send', () => {
    expect(outcomeOf({ deliveries: [email] })).toBe('delivered');
    expect(outcomeOf({ deliveries: [teams] })).toBe('delivered');
    expect(outcomeOf({ deliveries: [] })).toBe('nothing-to-send');
    expect(outcomeOf({ deliveries: [], notified: false })).toBe('nothing-to-send');
    expect(outcomeOf({ deliveries: [email], notified: true })).toBe('delivered');
  });

  it('lists every recipient once', () => {
    expect(recipientsOf({ deliveries: [email, teams, { ...email, to: ['a@corp.com'] }] })).toEqual(['a@corp.com', 'b@corp.com', 'teams:19:x@thread.tacv2']);
  });

  it('keeps the code and the start of a long reason', () => {
    expect(errorOf('SELECTOR_TIMEOUT: waiting for selector')).toEqual({ code: 'SELECTOR_TIMEOUT', message: 'SELECTOR_TIMEOUT: waiting for selector' });
    expect(errorOf('boom').code).toBe('UNEXPECTED');
    const long = errorOf(`DATA_FAILED: ${'x'.repeat(5000)}`);
    expect(long.message).toHaveLength(MAX_ERROR_CHARS);
    expect(long.message.endsWith('…')).toBe(true);
  });

  it('reads back a stored run, and refuses a foreign or expired one', () => {
    expect(runFromFields({})).toBeNull();
    expect(runFromFields({ queue: 'nope', scheduleId: 's', runId: 'r', dueAt: '1', outcome: 'failed' })).toBeNull();
    expect(runFromFields({ queue: 'alert', scheduleId: 's', runId: 'r', dueAt: '1', outcome: 'running', attempts: '1', maxAttempts: '3', startedAt: '2', endedAt: '', recipients: 'not json' })).toEqual({
      queue: 'alert', scheduleId: 's', runId: 'r', dueAt: 1, startedAt: 2, endedAt: null, outcome: 'running', attempts: 1, maxAttempts: 3, error: null, recipients: [],
    });
  });
});

describe('waiting since', () => {
  const base = { timestamp: 1_000_000, delay: 0, attemptsMade: 0, opts: {} };
  it('a new job waits from its creation plus its delay (a scheduled one, from its due time)', () => {
    expect(waitingSince(base)).toBe(1_000_000);
    expect(waitingSince({ ...base, delay: 60_000, opts: { delay: 60_000 } })).toBe(1_060_000);
  });

  it('a retried job from its last attempt plus its backoff; a stalled one from its lost attempt', () => {
    expect(waitingSince({ ...base, attemptsMade: 1, processedOn: 2_000_000, delay: 5000, opts: {} })).toBe(2_005_000);
    expect(waitingSince({ ...base, attemptsMade: 0, processedOn: 2_000_000, delay: 604_800_000, opts: { delay: 0 } })).toBe(2_000_000);
  });

  it('the oldest of those already waiting; 0 when none waits yet', () => {
    const now = 1_600_000;
    expect(oldestWaitingSeconds([base, { ...base, timestamp: 1_300_000 }], now)).toBe(600);
    expect(oldestWaitingSeconds([{ ...base, opts: { delay: 3_600_000 } }], now)).toBe(0);
    expect(oldestWaitingSeconds([], now)).toBe(0);
  });
});

describe('courier schedules history output', () => {
  const run = (over: Partial<ScheduleRun>): ScheduleRun => ({
    queue: 'pdf-report', scheduleId: 'weekly', runId: 'r', dueAt: DUE, startedAt: DUE + 1000, endedAt: DUE + 71_000, outcome: 'delivered', attempts: 1, maxAttempts: 3, error: null, recipients: [], ...over,
  });

  it('a line per run, then its recipients or its error; an earlier failure said as such', () => {
    const lines = formatHistory({ queue: 'pdf-report', scheduleId: 'weekly', shown: 2, retentionDays: 90, maxRuns: 500 }, [
      run({ attempts: 2, recipients: ['ada@corp.com'], error: { code: 'SELECTOR_TIMEOUT', message: 'SELECTOR_TIMEOUT: slow' } }),
      run({ dueAt: DUE - 604_800_000, startedAt: DUE - 604_799_000, endedAt: DUE - 604_580_000, outcome: 'failed', attempts: 3, error: { code: 'DATA_FAILED', message: 'DATA_FAILED: HTTP 401' } }),
    ]);
    expect(lines).toEqual([
      'pdf-report/weekly: the latest 2 runs (kept 90 days, at most 500 runs; times in UTC)',
      'due                  outcome          attempts        times',
      '2026-12-07 07:00:00  delivered        attempt 2 of 3  started 07:00:01, ended 07:01:11 (1 min 10 s)',
      '    to: ada@corp.com',
      '    an earlier attempt failed: SELECTOR_TIMEOUT: slow',
      '2026-11-30 07:00:00  failed           attempt 3 of 3  started 07:00:01, ended 07:03:40 (3 min 39 s)',
      '    error: DATA_FAILED: HTTP 401',
    ]);
  });

  it('a run not started yet, and one still running', () => {
    expect(formatHistory({ queue: 'alert', scheduleId: 'a', shown: 1, retentionDays: 90, maxRuns: 500 }, [run({ startedAt: null, endedAt: null, outcome: 'running' })])[2]).toBe(
      '2026-12-07 07:00:00  running          attempt 1 of 3  not started',
    );
  });
});

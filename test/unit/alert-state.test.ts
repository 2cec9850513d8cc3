// The alert state machine, with a fake clock: a table of single transitions,
// scripted sequences (values and errors over time → the exact messages), and
// invariants checked over random runs generated (and shrunk) by fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holds } from '../../src/alerts/evaluate.js';
import { INITIAL_STATE, MESSAGE_KIND, transition, type AlertSettings, type AlertState, type EvaluationOutcome, type NotifyMode } from '../../src/alerts/state.js';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 20, 8, 0, 0);
const ago = (minutes: number): number => NOW - minutes * MINUTE;
const state = (over: Partial<AlertState>): AlertState => ({ ...INITIAL_STATE, ...over });

const holding = (value = 15): EvaluationOutcome => ({ kind: 'value', value, holds: true });
const clear = (value = 5): EvaluationOutcome => ({ kind: 'value', value, holds: false });
const failure: EvaluationOutcome = { kind: 'error', error: 'backend answered 500' };

const triggeredAnnounced = (lastTriggeredMinutesAgo: number): AlertState =>
  state({ status: 'triggered', triggeredSince: ago(lastTriggeredMinutesAgo), announced: true, lastValue: 15, lastTriggeredNotificationAt: ago(lastTriggeredMinutesAgo) });
const triggeredHeldBack = (lastTriggeredMinutesAgo: number): AlertState =>
  state({ status: 'triggered', triggeredSince: ago(2), announced: false, lastValue: 15, lastTriggeredNotificationAt: ago(lastTriggeredMinutesAgo) });
const failingTold = (count: number, lastToldMinutesAgo: number): AlertState =>
  state({ errorCount: count, lastError: 'backend answered 500', errorAnnounced: true, lastErrorNotificationAt: ago(lastToldMinutesAgo) });

interface Row {
  name: string;
  previous: AlertState | null;
  outcome: EvaluationOutcome;
  notify?: NotifyMode;
  cooldown?: number;
  errorTargets?: boolean;
  sent: string[];
  status: 'ok' | 'triggered';
  announced?: boolean;
  errorCount?: number;
}

const rows: Row[] = [
  // First evaluation.
  { name: 'first evaluation that holds triggers', previous: null, outcome: holding(), sent: ['triggered'], status: 'triggered', announced: true },
  { name: 'first evaluation that does not hold sends nothing', previous: null, outcome: clear(), sent: [], status: 'ok' },
  { name: 'first evaluation that fails tells onError', previous: null, outcome: failure, errorTargets: true, sent: ['error'], status: 'ok', errorCount: 1 },
  { name: 'first evaluation that fails without onError tells nobody', previous: null, outcome: failure, sent: [], status: 'ok', errorCount: 1 },
  // ok → holds.
  { name: 'ok → holds, cooldown 0, triggered a minute ago: triggers', previous: state({ lastTriggeredNotificationAt: ago(1) }), outcome: holding(), sent: ['triggered'], status: 'triggered', announced: true },
  { name: 'ok → holds inside the cooldown: held back, remembered', previous: state({ lastTriggeredNotificationAt: ago(10) }), outcome: holding(), cooldown: 30, sent: [], status: 'triggered', announced: false },
  { name: 'ok → holds exactly when the cooldown ends: triggers', previous: state({ lastTriggeredNotificationAt: ago(30) }), outcome: holding(), cooldown: 30, sent: ['triggered'], status: 'triggered', announced: true },
  { name: 'ok → holds, every-time inside the cooldown: held back', previous: state({ lastTriggeredNotificationAt: ago(10) }), outcome: holding(), notify: 'every-time', cooldown: 30, sent: [], status: 'triggered', announced: false },
  { name: 'ok → does not hold: nothing', previous: state({ lastValue: 4 }), outcome: clear(), sent: [], status: 'ok' },
  // triggered (announced) → holds.
  { name: 'on-change: keeps holding sends nothing', previous: triggeredAnnounced(60), outcome: holding(), sent: [], status: 'triggered', announced: true },
  { name: 'every-time, cooldown 0: each evaluation that holds triggers', previous: triggeredAnnounced(1), outcome: holding(), notify: 'every-time', sent: ['triggered'], status: 'triggered' },
  { name: 'every-time inside the cooldown: nothing', previous: triggeredAnnounced(10), outcome: holding(), notify: 'every-time', cooldown: 30, sent: [], status: 'triggered', announced: true },
  { name: 'every-time after the cooldown: triggers again', previous: triggeredAnnounced(45), outcome: holding(), notify: 'every-time', cooldown: 30, sent: ['triggered'], status: 'triggered' },
  // triggered (held back) → holds.
  { name: 'held back, cooldown now over, still holds: announced', previous: triggeredHeldBack(31), outcome: holding(), cooldown: 30, sent: ['triggered'], status: 'triggered', announced: true },
  { name: 'held back, cooldown not over: still waiting', previous: triggeredHeldBack(20), outcome: holding(), cooldown: 30, sent: [], status: 'triggered', announced: false },
  { name: 'held back, every-time, cooldown now over: announced', previous: triggeredHeldBack(31), outcome: holding(), notify: 'every-time', cooldown: 30, sent: ['triggered'], status: 'triggered', announced: true },
  // triggered → does not hold.
  { name: 'on-change: stops holding sends resolved', previous: triggeredAnnounced(60), outcome: clear(), sent: ['resolved'], status: 'ok' },
  { name: 'resolved is never held back by the cooldown', previous: triggeredAnnounced(2), outcome: clear(), cooldown: 30, sent: ['resolved'], status: 'ok' },
  { name: 'every-time: stops holding sends resolved', previous: triggeredAnnounced(5), outcome: clear(), notify: 'every-time', sent: ['resolved'], status: 'ok' },
  { name: 'a held-back trigger that stops holding ends silently', previous: triggeredHeldBack(10), outcome: clear(), cooldown: 30, sent: [], status: 'ok' },
  // Errors.
  { name: 'an error keeps triggered and tells onError', previous: triggeredAnnounced(5), outcome: failure, errorTargets: true, sent: ['error'], status: 'triggered', announced: true, errorCount: 1 },
  { name: 'an error keeps a held-back trigger held back', previous: triggeredHeldBack(10), outcome: failure, cooldown: 30, sent: [], status: 'triggered', announced: false, errorCount: 1 },
  { name: 'streak already told, cooldown 0: nothing more', previous: failingTold(3, 1), outcome: failure, errorTargets: true, sent: [], status: 'ok', errorCount: 4 },
  { name: 'streak already told, inside the cooldown: nothing', previous: failingTold(2, 10), outcome: failure, errorTargets: true, cooldown: 30, sent: [], status: 'ok', errorCount: 3 },
  { name: 'streak already told, cooldown over: a reminder', previous: failingTold(7, 30), outcome: failure, errorTargets: true, cooldown: 30, sent: ['error'], status: 'ok', errorCount: 8 },
  {
    name: 'new streak inside the cooldown of the last error message: held back',
    previous: state({ lastErrorNotificationAt: ago(10) }),
    outcome: failure,
    errorTargets: true,
    cooldown: 30,
    sent: [],
    status: 'ok',
    errorCount: 1,
  },
  { name: 'new streak, cooldown 0: told even a minute after the last one', previous: state({ lastErrorNotificationAt: ago(1) }), outcome: failure, errorTargets: true, sent: ['error'], status: 'ok', errorCount: 1 },
  // Recovery.
  { name: 'told errors, then a value: recovered', previous: failingTold(3, 10), outcome: clear(), errorTargets: true, sent: ['recovered'], status: 'ok', errorCount: 0 },
  { name: 'told errors, then a value that holds: recovered, then triggered', previous: failingTold(3, 10), outcome: holding(), errorTargets: true, sent: ['recovered', 'triggered'], status: 'triggered', errorCount: 0 },
  { name: 'errors nobody was told of, then a value: nothing', previous: state({ errorCount: 4, lastError: 'x' }), outcome: clear(), sent: [], status: 'ok', errorCount: 0 },
  { name: 'told errors, onError removed since: no recovered', previous: failingTold(3, 10), outcome: clear(), errorTargets: false, sent: [], status: 'ok', errorCount: 0 },
  // Clocks of two workers disagree a little.
  {
    name: 'every-time, cooldown 0, last trigger 2 s "in the future": still triggers',
    previous: state({ status: 'triggered', announced: true, triggeredSince: NOW, lastTriggeredNotificationAt: NOW + 2000 }),
    outcome: holding(),
    notify: 'every-time',
    sent: ['triggered'],
    status: 'triggered',
  },
];

describe('transition table', () => {
  it.each(rows)('$name', (row) => {
    const settings: AlertSettings = { notify: row.notify ?? 'on-change', cooldownMinutes: row.cooldown ?? 0, hasErrorTargets: row.errorTargets ?? false };
    const { next, notifications } = transition(row.previous, row.outcome, new Date(NOW), settings);

    expect(notifications.map((n) => n.kind)).toEqual(row.sent);
    expect(next.status).toBe(row.status);
    if (row.announced !== undefined) expect(next.announced).toBe(row.announced);
    if (row.errorCount !== undefined) expect(next.errorCount).toBe(row.errorCount);
    for (const n of notifications) {
      expect(n.at).toBe(NOW);
      expect(n.audience).toBe(n.kind === 'triggered' || n.kind === 'resolved' ? 'deliver' : 'onError');
    }
    if (row.outcome.kind === 'value') {
      expect(next.lastValue).toBe(row.outcome.value);
      for (const n of notifications) expect(n.value).toBe(row.outcome.value);
    } else {
      // An error never changes what we knew about the value.
      expect(next.status).toBe(row.previous?.status ?? 'ok');
      expect(next.lastValue).toBe(row.previous?.lastValue ?? null);
      expect(notifications.every((n) => n.error === 'backend answered 500' && n.value === null)).toBe(true);
    }
  });

  it('does not modify the previous state', () => {
    const previous = Object.freeze(triggeredAnnounced(5));
    const { next } = transition(previous, clear(), NOW, { notify: 'on-change', cooldownMinutes: 0, hasErrorTargets: false });
    expect(next).not.toBe(previous);
    expect(previous.status).toBe('triggered');
  });

  it('keeps the start of a triggered episode while it keeps holding', () => {
    const settings: AlertSettings = { notify: 'every-time', cooldownMinutes: 0, hasErrorTargets: false };
    const first = transition(null, holding(), NOW, settings).next;
    const later = transition(first, holding(), NOW + 20 * MINUTE, settings).next;
    expect(later.triggeredSince).toBe(NOW);
    expect(later.lastTriggeredNotificationAt).toBe(NOW + 20 * MINUTE);
  });

  it('maps every notification kind to a message kind', () => {
    expect(MESSAGE_KIND).toEqual({ triggered: 'alert', resolved: 'resolved', error: 'alert-error', recovered: 'alert-recovered' });
  });
});

// A scripted series: [minute, value] or [minute, 'error'] → "minute kind value" lines.
type Step = [minute: number, value: number | 'error'];
const CONDITION = { operator: '>', threshold: 10 } as const;

function play(steps: Step[], settings: AlertSettings): string[] {
  let current: AlertState | null = null;
  const sent: string[] = [];
  for (const [minute, value] of steps) {
    const outcome: EvaluationOutcome = value === 'error' ? { kind: 'error', error: 'HTTP 401' } : { kind: 'value', value, holds: holds(value, CONDITION) };
    const { next, notifications } = transition(current, outcome, NOW + minute * MINUTE, settings);
    current = next;
    for (const n of notifications) sent.push(`${(n.at - NOW) / MINUTE} ${n.kind}${n.value === null ? '' : ` ${n.value}`}`);
  }
  return sent;
}

describe('sequences', () => {
  it('on-change: one triggered when it starts, one resolved when it stops, again when it returns', () => {
    const steps: Step[] = [[0, 5], [5, 15], [10, 20], [15, 8], [20, 9], [25, 12], [30, 30]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 0, hasErrorTargets: false })).toEqual(['5 triggered 15', '15 resolved 8', '25 triggered 12']);
  });

  it('every-time with a 15-minute cooldown, evaluated every 5 minutes', () => {
    const steps: Step[] = [[0, 15], [5, 16], [10, 17], [15, 18], [20, 19], [25, 20], [30, 21], [35, 5], [40, 15], [45, 15], [50, 15]];
    expect(play(steps, { notify: 'every-time', cooldownMinutes: 15, hasErrorTargets: false })).toEqual([
      '0 triggered 15',
      '15 triggered 18',
      '30 triggered 21',
      '35 resolved 5',
      '45 triggered 15',
    ]);
  });

  it('a value that flaps inside the cooldown is announced when the cooldown ends, if it still holds', () => {
    const steps: Step[] = [[0, 15], [5, 5], [10, 15], [20, 15], [30, 15], [35, 15], [40, 5]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 30, hasErrorTargets: false })).toEqual(['0 triggered 15', '5 resolved 5', '30 triggered 15', '40 resolved 5']);
  });

  it('a flap that is over before the cooldown ends is never announced, and never resolved', () => {
    const steps: Step[] = [[0, 15], [5, 5], [10, 15], [15, 5], [40, 5], [45, 15]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 30, hasErrorTargets: false })).toEqual(['0 triggered 15', '5 resolved 5', '45 triggered 15']);
  });

  it('a job failing all 3 attempts tells onError once; the next success tells it recovered', () => {
    const steps: Step[] = [[0, 'error'], [0.1, 'error'], [0.3, 'error'], [5, 'error'], [10, 15]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 0, hasErrorTargets: true })).toEqual(['0 error', '10 recovered 15', '10 triggered 15']);
  });

  it('errors while triggered neither resolve nor re-trigger it', () => {
    const steps: Step[] = [[0, 15], [5, 'error'], [10, 'error'], [15, 16], [20, 5]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 0, hasErrorTargets: true })).toEqual(['0 triggered 15', '5 error', '15 recovered 16', '20 resolved 5']);
  });

  it('onError with a 60-minute cooldown: at most one error message an hour, each streak told and recovered', () => {
    const steps: Step[] = [[0, 'error'], [30, 'error'], [60, 'error'], [65, 5], [70, 'error'], [100, 'error'], [120, 'error'], [125, 5], [130, 5]];
    expect(play(steps, { notify: 'on-change', cooldownMinutes: 60, hasErrorTargets: true })).toEqual(['0 error', '60 error', '65 recovered 5', '120 error', '125 recovered 5']);
  });
});

/** One evaluation of a random run: minutes since the last one, and a roll that picks the outcome. */
interface RandomStep {
  gapMinutes: number;
  /** < 15: the condition flips; > 90: the data call fails; else the same answer as before. */
  roll: number;
}

const randomRun = fc.record({
  notify: fc.constantFrom<NotifyMode>('on-change', 'every-time'),
  cooldownMinutes: fc.constantFrom(0, 15, 60),
  steps: fc.array(fc.record({ gapMinutes: fc.integer({ min: 1, max: 20 }), roll: fc.integer({ min: 0, max: 99 }) }), { minLength: 1, maxLength: 600 }),
});

describe('invariants over random runs (fast-check: a failure is shrunk to a short run and printed with its seed)', () => {
  it('never leaves people misinformed, never stuck, never too chatty', () => {
    const seenKinds = new Set<string>();
    fc.assert(
      fc.property(randomRun, ({ notify, cooldownMinutes, steps }) => {
        checkRun(notify, cooldownMinutes, steps).forEach((kind) => seenKinds.add(kind));
      }),
      { numRuns: 150 },
    );
    // The runs exercised every kind of message.
    expect(seenKinds).toEqual(new Set(['triggered', 'resolved', 'error', 'recovered']));
  });
});

/** Plays one run, asserting the invariants after every evaluation; returns the kinds of message sent. */
function checkRun(notify: NotifyMode, cooldownMinutes: number, steps: RandomStep[]): string[] {
  const settings: AlertSettings = { notify, cooldownMinutes, hasErrorTargets: true };
  const cooldownMs = cooldownMinutes * MINUTE;
  let current: AlertState | null = null;
  let t = NOW;
  let holdsNow = false;
  const deliverSent: { kind: string; at: number }[] = [];
  const errorSent: { kind: string; at: number }[] = [];
  let toldThisStreak = false;

  for (const { gapMinutes, roll } of steps) {
    t += gapMinutes * MINUTE;
    // Runs of the same answer, so the condition holds and fails in episodes, with error streaks.
    if (roll < 15) holdsNow = !holdsNow;
    const outcome: EvaluationOutcome = roll > 90 ? { kind: 'error', error: 'boom' } : { kind: 'value', value: holdsNow ? 15 : 5, holds: holdsNow };
    const lastTriggeredBefore = [...deliverSent].reverse().find((m) => m.kind === 'triggered')?.at ?? null;
    const lastErrorBefore = [...errorSent].reverse().find((m) => m.kind === 'error')?.at ?? null;

    const result = transition(current, outcome, t, settings);
    current = result.next;
    for (const n of result.notifications) (n.audience === 'deliver' ? deliverSent : errorSent).push({ kind: n.kind, at: n.at });

    const lastDeliver = deliverSent.at(-1)?.kind;
    const lastOnError = errorSent.at(-1)?.kind;
    if (outcome.kind === 'value') {
      toldThisStreak = false;
      // People are never left believing it holds when it does not.
      if (!outcome.holds) expect(lastDeliver).not.toBe('triggered');
      // Never stuck: once the cooldown allows it, a condition that holds has been announced.
      if (outcome.holds && (lastTriggeredBefore === null || t - lastTriggeredBefore >= cooldownMs)) expect(lastDeliver).toBe('triggered');
      // Nor believing it is broken once it works.
      expect(lastOnError).not.toBe('error');
    } else {
      // A failure the cooldown allows us to tell about has been told.
      if (lastErrorBefore === null || cooldownMs === 0 || t - lastErrorBefore >= cooldownMs) expect(lastOnError).toBe('error');
      if (result.notifications.length > 0) {
        // With cooldown 0, once per streak; otherwise at most once per cooldown.
        if (cooldownMs === 0) expect(toldThisStreak).toBe(false);
        toldThisStreak = true;
      }
    }
  }

  const gaps = (sent: { kind: string; at: number }[], kind: string) => {
    const times = sent.filter((m) => m.kind === kind).map((m) => m.at);
    return times.slice(1).map((at, i) => at - (times[i] ?? 0));
  };
  for (const gap of gaps(deliverSent, 'triggered')) expect(gap).toBeGreaterThanOrEqual(cooldownMs);
  for (const gap of gaps(errorSent, 'error')) expect(gap).toBeGreaterThanOrEqual(cooldownMs);
  if (notify === 'on-change') {
    // Alternates strictly: triggered, resolved, triggered, …
    deliverSent.forEach((m, i) => expect(m.kind).toBe(i % 2 === 0 ? 'triggered' : 'resolved'));
  }
  return [...deliverSent, ...errorSent].map((m) => m.kind);
}

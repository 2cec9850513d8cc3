// The alert state machine: pure, no clock, no Redis. Given what we knew
// (previous state), what the evaluation found (a value and whether the
// condition holds, or an error), the time and the alert's settings, it says
// what we know now and which messages people must get.
//
// Semantics (C = cooldownMinutes; "cooldown over" = no "triggered" message was
// sent for this alert in the last C minutes, always true when C = 0):
//
// | was                      | evaluation       | cooldown over | on-change         | every-time        | becomes                    |
// |--------------------------|------------------|---------------|-------------------|-------------------|----------------------------|
// | nothing / ok             | holds            | yes           | triggered         | triggered         | triggered, announced       |
// | nothing / ok             | holds            | no            | — (held back)     | — (held back)     | triggered, not announced   |
// | nothing / ok             | does not hold    | –             | —                 | —                 | ok                         |
// | triggered, announced     | holds            | yes           | —                 | triggered         | triggered, announced       |
// | triggered, announced     | holds            | no            | —                 | —                 | triggered, announced       |
// | triggered, not announced | holds            | yes           | triggered         | triggered         | triggered, announced       |
// | triggered, not announced | holds            | no            | —                 | —                 | triggered, not announced   |
// | triggered, announced     | does not hold    | –             | resolved          | resolved          | ok                         |
// | triggered, not announced | does not hold    | –             | —                 | —                 | ok                         |
// | any                      | error            | –             | see onError below | see onError below | same ok/triggered, errors+1|
//
// Why these choices:
// - "resolved" is never held back by the cooldown: the cooldown limits how
//   often people are alarmed, and telling them it is over must not wait.
// - A condition that starts to hold inside the cooldown is remembered as
//   "triggered, not announced"; the first evaluation after the cooldown that
//   still finds it holding announces it. So a flapping value cannot leave the
//   alert stuck silent, and people are never told "resolved" about a trigger
//   they never heard of.
// - every-time also sends "resolved" once when the condition stops holding,
//   so the last message people got never claims it still holds.
//
// onError (only when the alert has onError targets; "error cooldown over" = no
// error message in the last C minutes, always true when C = 0):
//
// | errors so far in this streak | evaluation | onError gets                                                         |
// |------------------------------|------------|----------------------------------------------------------------------|
// | none told yet                | error      | "error" if error cooldown over, else nothing (told later, if still failing) |
// | already told                 | error      | C > 0: a reminder once C minutes passed since the last one; C = 0: nothing |
// | told                         | value      | "recovered", then the value is handled by the first table            |
// | not told (held back / none)  | value      | nothing; the value is handled by the first table                     |
//
// An error never changes ok/triggered or the last value: we do not know the
// value, so we keep what we knew. The error count is the number of
// consecutive failed evaluations and goes back to 0 at the first success.
import type { AlertErrorReason, MessageKind } from '../delivery/messages.js';

export type AlertStatus = 'ok' | 'triggered';
export type NotifyMode = 'on-change' | 'every-time';

/** What is stored per alert between evaluations. Times are epoch milliseconds (JSON-friendly). */
export interface AlertState {
  status: AlertStatus;
  /** When the condition started to hold; null while ok. */
  triggeredSince: number | null;
  /**
   * Whether a "triggered" message went out for the current triggered episode.
   * False only while that message is held back by the cooldown.
   */
  announced: boolean;
  /** The last value read successfully; null before the first one. */
  lastValue: number | null;
  /** When the last value was read. */
  lastEvaluatedAt: number | null;
  /** When the last "triggered" message was sent: the start of the cooldown. */
  lastTriggeredNotificationAt: number | null;
  /** Consecutive failed evaluations. */
  errorCount: number;
  lastError: string | null;
  /** Whether onError targets were told about the current failure streak (so they get "recovered"). */
  errorAnnounced: boolean;
  lastErrorNotificationAt: number | null;
}

export type EvaluationOutcome =
  | { kind: 'value'; value: number; holds: boolean }
  | { kind: 'error'; error: string; reason?: AlertErrorReason };

export interface AlertSettings {
  notify: NotifyMode;
  cooldownMinutes: number;
  /** Whether the alert has onError targets; without them errors are counted but nobody is told. */
  hasErrorTargets: boolean;
}

export type NotificationKind = 'triggered' | 'resolved' | 'error' | 'recovered';

/** Who gets a notification: the alert's `deliver` targets or its `onError` targets. */
export type Audience = 'deliver' | 'onError';

/** A message the transition asks to send. Plain data, so it can wait in the outbox (store.ts). */
export interface Notification {
  kind: NotificationKind;
  audience: Audience;
  /** The value read (triggered, resolved, recovered); null for an error. */
  value: number | null;
  /** Why the evaluation failed (error only): the operators' diagnostic. */
  error: string | null;
  /** The same, as data a reader's message words in their language (error only; absent when unknown). */
  reason?: AlertErrorReason;
  /** When it happened (epoch ms): the time people are shown. */
  at: number;
}

export interface Transition {
  next: AlertState;
  notifications: Notification[];
}

/** How each notification is worded by the message composer (delivery/messages.ts). */
export const MESSAGE_KIND: Record<NotificationKind, MessageKind> = {
  triggered: 'alert',
  resolved: 'resolved',
  error: 'alert-error',
  recovered: 'alert-recovered',
};

export const AUDIENCE: Record<NotificationKind, Audience> = {
  triggered: 'deliver',
  resolved: 'deliver',
  error: 'onError',
  recovered: 'onError',
};

/** The state of an alert never evaluated: ok, nothing known, nothing told. */
export const INITIAL_STATE: AlertState = Object.freeze({
  status: 'ok',
  triggeredSince: null,
  announced: false,
  lastValue: null,
  lastEvaluatedAt: null,
  lastTriggeredNotificationAt: null,
  errorCount: 0,
  lastError: null,
  errorAnnounced: false,
  lastErrorNotificationAt: null,
});

const MINUTE_MS = 60_000;

/**
 * Whether C minutes have passed since `last`. With C = 0 always true, even
 * when `now` is slightly before `last` (clocks of two workers disagree by a
 * little): a zero cooldown must never hold a message back.
 */
function cooldownOver(last: number | null, now: number, cooldownMinutes: number): boolean {
  if (last === null || cooldownMinutes <= 0) return true;
  return now - last >= cooldownMinutes * MINUTE_MS;
}

function notification(kind: NotificationKind, at: number, value: number | null, error: string | null = null, reason?: AlertErrorReason): Notification {
  return { kind, audience: AUDIENCE[kind], value, error, at, ...(reason ? { reason } : {}) };
}

export function transition(previous: AlertState | null, outcome: EvaluationOutcome, now: Date | number, settings: AlertSettings): Transition {
  const at = typeof now === 'number' ? now : now.getTime();
  const was = previous ?? INITIAL_STATE;
  return outcome.kind === 'error' ? onError(was, outcome.error, at, settings, outcome.reason) : onValue(was, outcome.value, outcome.holds, at, settings);
}

function onError(was: AlertState, error: string, at: number, settings: AlertSettings, reason?: AlertErrorReason): Transition {
  const next: AlertState = { ...was, errorCount: was.errorCount + 1, lastError: error };
  if (!settings.hasErrorTargets) return { next, notifications: [] };

  const tell = was.errorAnnounced
    ? settings.cooldownMinutes > 0 && cooldownOver(was.lastErrorNotificationAt, at, settings.cooldownMinutes)
    : cooldownOver(was.lastErrorNotificationAt, at, settings.cooldownMinutes);
  if (!tell) return { next, notifications: [] };

  next.errorAnnounced = true;
  next.lastErrorNotificationAt = at;
  return { next, notifications: [notification('error', at, null, error, reason)] };
}

function onValue(was: AlertState, value: number, holds: boolean, at: number, settings: AlertSettings): Transition {
  const notifications: Notification[] = [];
  const next: AlertState = { ...was, lastValue: value, lastEvaluatedAt: at, errorCount: 0, lastError: null, errorAnnounced: false };

  // onError targets heard that it was broken; they hear that it works again.
  // Without targets now (the alert was edited), there is nobody to tell.
  if (was.errorAnnounced && settings.hasErrorTargets) notifications.push(notification('recovered', at, value));

  if (holds) {
    const startsNow = was.status === 'ok';
    const alreadyAnnounced = !startsNow && was.announced;
    const free = cooldownOver(was.lastTriggeredNotificationAt, at, settings.cooldownMinutes);
    const announce = free && (settings.notify === 'every-time' || !alreadyAnnounced);

    next.status = 'triggered';
    next.triggeredSince = startsNow ? at : was.triggeredSince;
    next.announced = alreadyAnnounced || announce;
    if (announce) {
      next.lastTriggeredNotificationAt = at;
      notifications.push(notification('triggered', at, value));
    }
  } else {
    // Only a trigger people heard of is resolved: a held-back one ends silently.
    if (was.status === 'triggered' && was.announced) notifications.push(notification('resolved', at, value));
    next.status = 'ok';
    next.triggeredSince = null;
    next.announced = false;
  }
  return { next, notifications };
}

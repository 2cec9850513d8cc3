// The outbox: notifications a commit wrote and no delivery has settled yet,
// as read back from Redis, and when one that keeps failing is given up.
// Stored data that does not have the expected shape is reported, not half-used.
import { z } from 'zod';
import type { AlertErrorReason } from '../delivery/messages.js';
import { seqOf } from './keys.js';
import type { AlertState, Notification } from './state.js';

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

/** Why a pending notification should be given up now, or null to keep trying. */
export function shouldAbandon(pending: PendingNotification, now: number, policy: OutboxPolicy = DEFAULT_OUTBOX_POLICY): string | null {
  if (pending.attempts >= policy.maxAttempts) return `delivery failed ${pending.attempts} times`;
  const ageMs = now - pending.at;
  if (ageMs > policy.maxAgeMs) return `it is ${Math.round(ageMs / 60_000)} minutes old, more than the ${Math.round(policy.maxAgeMs / 60_000)} allowed`;
  return null;
}

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

/** A notification's reason as stored (delivery/messages.ts AlertErrorReason). */
const alertErrorReason = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('http'), status: z.number().int() }),
  z.object({ kind: z.literal('timeout') }),
  z.object({ kind: z.literal('unreachable') }),
  z.object({ kind: z.literal('redirect') }),
  z.object({ kind: z.literal('not-json') }),
  z.object({ kind: z.literal('no-value') }),
]) satisfies z.ZodType<AlertErrorReason>;

const storedNotification = z.object({
  kind: z.enum(['triggered', 'resolved', 'error', 'recovered']),
  audience: z.enum(['deliver', 'onError']),
  value: z.number().finite().nullable(),
  error: z.string().nullable(),
  // Absent in notifications written before it existed: the message then words the error generally.
  reason: alertErrorReason.optional(),
  at: z.number().finite(),
}) satisfies z.ZodType<Notification>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A stored state JSON, or null when it cannot be trusted. */
export function readState(text: string): AlertState | null {
  const parsed = storedState.safeParse(parseJson(text));
  return parsed.success ? parsed.data : null;
}

/** The outbox's notifications with their attempt counts, oldest first; unreadable ones are skipped and named in `problems`. */
export function readPending(outbox: Record<string, string>, attempts: Record<string, string>, problems: string[]): PendingNotification[] {
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

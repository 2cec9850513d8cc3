// When and how long to wait before trying a Bot Connector request again, as
// Microsoft documents it (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
// and bots/how-to/conversations/conversation-messages, "Status codes from bot
// conversational APIs"):
//   412 PreconditionFailed  concurrent operations on the conversation: retry with exponential backoff;
//   429 Throttled           retry after the time Teams gives ("Retry-After", which may come in the
//                           body rather than the header), else exponential backoff with jitter;
//   502, 503, 504           service dependency, unavailable, gateway timeout: exponential backoff.
// Every other status is final. Waits are bounded by the job's deadline: a
// wait that would end too close to JOB_TIMEOUT_MS fails the attempt now, with
// the reason, and the job's own retry (with its own backoff) takes over.
//
// Pure: the clock and the random source are passed in.

export const RETRIED_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 503, 504]);

export interface RetryPolicy {
  /** First backoff, doubled at each attempt (Microsoft's example: 2 s min, 20 s max, ±20 %). */
  baseMs: number;
  /** Longest backoff when Teams gives no time. */
  maxBackoffMs: number;
  /** Attempts of one request at most, whatever the deadline. */
  maxAttempts: number;
  /** Time kept free before the deadline for the request itself and the receipt. */
  reserveMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseMs: 1000,
  maxBackoffMs: 20_000,
  maxAttempts: 8,
  reserveMs: 10_000,
};

const WHAT: Record<number, string> = {
  412: 'a precondition failed on Teams\' side (HTTP 412, concurrent operations on the channel)',
  429: 'Teams is throttling the bot (HTTP 429 Too Many Requests)',
  502: 'Teams had a service dependency problem (HTTP 502 Bad Gateway)',
  503: 'Teams is unavailable (HTTP 503 Service Unavailable)',
  504: 'Teams did not answer in time (HTTP 504 Gateway Timeout)',
};

export function describeStatus(status: number): string {
  return WHAT[status] ?? `Teams answered HTTP ${status}`;
}

export interface RetryInput {
  status: number;
  /** The wait Teams asked for (header or body), in ms; null when it gave none. */
  retryAfterMs: number | null;
  /** 1 for the first attempt. */
  attempt: number;
  nowMs: number;
  /** The job's deadline (ms since the epoch). */
  deadlineMs: number;
  /** A number in [0, 1). */
  random: number;
  policy: RetryPolicy;
}

export type RetryDecision = { retryInMs: number } | { giveUp: string };

/** Exponential backoff with ±20 % jitter, so workers throttled together do not come back together. */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxBackoffMs'>, random: number): number {
  const plain = Math.min(policy.baseMs * 2 ** (attempt - 1), policy.maxBackoffMs);
  return Math.round(plain * (0.8 + 0.4 * random));
}

/** Whether to wait and try again, and how long; or why to stop. */
export function retryDecision(input: RetryInput): RetryDecision {
  const { status, attempt, policy } = input;
  const what = describeStatus(status);
  if (!RETRIED_STATUSES.has(status)) return { giveUp: what };
  if (attempt >= policy.maxAttempts) return { giveUp: `${what}, still after ${attempt} attempts; the job will be retried later` };
  // Teams' own time is a minimum: up to 10 % more spreads out workers told the same time.
  const waitMs = input.retryAfterMs !== null ? Math.round(input.retryAfterMs * (1 + 0.1 * input.random)) : backoffMs(attempt, policy, input.random);
  const leftMs = input.deadlineMs - input.nowMs - policy.reserveMs;
  if (waitMs > leftMs) {
    const asked = input.retryAfterMs !== null ? `it asks to wait ${Math.ceil(input.retryAfterMs / 1000)} s` : `the next try is due in ${Math.ceil(waitMs / 1000)} s`;
    return { giveUp: `${what}: ${asked}, past this attempt's deadline (JOB_TIMEOUT_MS); the job will be retried later` };
  }
  return { retryInMs: waitMs };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/**
 * The retry time Teams put in a 429's body rather than its header: a
 * `retryAfter` / `retryAfterSeconds` / `Retry-After` field (seconds) anywhere
 * in the JSON, or a sentence such as "Retry after 2 seconds" in its message.
 * Null when the body says nothing usable.
 */
export function retryAfterFromBody(body: string | null | undefined): number | null {
  if (!body) return null;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(body);
  } catch {
    // not JSON: read it as text
  }
  const field = findRetryField(parsed);
  if (field !== null) return field;
  const m = /retry[\s-]*after\D{0,20}?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|secs|seconds?)?/i.exec(body);
  if (!m) return null;
  const amount = Number(m[1]);
  return Math.round(/^m/i.test(m[2] ?? '') ? amount : amount * 1000);
}

function findRetryField(node: unknown, depth = 0): number | null {
  if (node === null || typeof node !== 'object' || depth > 4) return null;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (/^retry-?after(seconds)?$/i.test(key)) {
      const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
      if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    }
    const nested = findRetryField(value, depth + 1);
    if (nested !== null) return nested;
  }
  return null;
}

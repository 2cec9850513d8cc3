// The pure rules of the Teams sender: which answers are retried and how long
// to wait (Retry-After from the header or the body, backoff with jitter,
// bounded by the job's deadline), ids, and redaction.
import { describe, expect, it } from 'vitest';
import { activityIdOf, redactSecrets } from '../../src/delivery/teams.js';
import { backoffMs, DEFAULT_RETRY_POLICY, parseRetryAfter, retryAfterFromBody, retryDecision, type RetryInput } from '../../src/delivery/teams-retry.js';

const now = Date.parse('2026-11-20T10:00:00Z');
const input = (overrides: Partial<RetryInput>): RetryInput => ({
  status: 429,
  retryAfterMs: null,
  attempt: 1,
  nowMs: now,
  deadlineMs: now + 120_000,
  random: 0.5,
  policy: DEFAULT_RETRY_POLICY,
  ...overrides,
});

describe('Teams retries', () => {
  it('retries 412, 429, 502, 503 and 504, and nothing else', () => {
    for (const status of [412, 429, 502, 503, 504]) expect(retryDecision(input({ status }))).toHaveProperty('retryInMs');
    for (const status of [400, 401, 403, 404, 413, 500]) expect(retryDecision(input({ status }))).toHaveProperty('giveUp');
  });

  it('waits the time Teams gives, a little more to spread workers out', () => {
    expect(retryDecision(input({ retryAfterMs: 2000, random: 0 }))).toEqual({ retryInMs: 2000 });
    expect(retryDecision(input({ retryAfterMs: 2000, random: 0.99 }))).toEqual({ retryInMs: 2198 });
  });

  it('backs off exponentially with ±20 % jitter when Teams gives no time', () => {
    const policy = DEFAULT_RETRY_POLICY;
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, policy, 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(2, policy, 0)).toBe(1600);
    expect(backoffMs(2, policy, 1)).toBe(2400);
    expect(backoffMs(30, policy, 0.5)).toBe(policy.maxBackoffMs);
  });

  it("gives up when the wait would pass the job's deadline, or after the most attempts, saying why", () => {
    const late = retryDecision(input({ retryAfterMs: 3_600_000 }));
    expect(late).toEqual({ giveUp: expect.stringMatching(/throttling the bot \(HTTP 429.*3600 s, past this attempt's deadline \(JOB_TIMEOUT_MS\)/) as string });
    const close = retryDecision(input({ status: 502, attempt: 3, deadlineMs: now + 12_000 }));
    expect(close).toEqual({ giveUp: expect.stringMatching(/HTTP 502 Bad Gateway.*next try is due in 4 s, past this attempt's deadline/) as string });
    expect(retryDecision(input({ status: 504, attempt: DEFAULT_RETRY_POLICY.maxAttempts }))).toEqual({ giveUp: expect.stringMatching(/HTTP 504.*after 8 attempts/) as string });
  });

  it('reads Retry-After from the header (seconds or a date)', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('reads the retry time from the body when the header has none', () => {
    expect(retryAfterFromBody('{"error":{"code":"Throttled","message":"Too many requests. Retry after 2 seconds."}}')).toBe(2000);
    expect(retryAfterFromBody('{"error":{"code":"Throttled","retryAfter":3}}')).toBe(3000);
    expect(retryAfterFromBody('{"Retry-After":"4"}')).toBe(4000);
    expect(retryAfterFromBody('retry after 250 ms')).toBe(250);
    expect(retryAfterFromBody('{"error":{"code":"Throttled","message":"Too many requests."}}')).toBeNull();
    expect(retryAfterFromBody(null)).toBeNull();
  });
});

describe('Teams sender rules', () => {
  it('takes the activity id from a channel thread id', () => {
    expect(activityIdOf('19:abc@thread.tacv2;messageid=1732096800000')).toBe('1732096800000');
    expect(activityIdOf('a:1xyz')).toBe('a:1xyz');
  });

  it('redacts the password and bearer tokens', () => {
    expect(redactSecrets('secret s3cr3t! in Authorization: Bearer eyJ0eXAi.abc-_x and s3cr3t!', ['s3cr3t!', null])).toBe(
      'secret [redacted] in Authorization: Bearer [redacted] and [redacted]',
    );
  });
});

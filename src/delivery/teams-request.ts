// One Bot Connector request as Teams documents it should be made: first a
// slot in the channel's pace (teams-pace.ts), then the request; 412, 429,
// 502, 503 and 504 tried again after the wait teams-retry.ts decides
// (Retry-After from the header or the body, else backoff with jitter, within
// the job's deadline); a 401 answered by getting a fresh token, once; any
// other failure thrown as it came, for the caller to put in a sentence.
import pRetry from 'p-retry';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { connectorFailure, type BotConnection } from './teams-connector.js';
import { abortableSleep, type ChannelPace } from './teams-pace.js';
import { parseRetryAfter, RETRIED_STATUSES, retryAfterFromBody, retryDecision, type RetryPolicy } from './teams-retry.js';
import { directExchange, type Exchange } from './types.js';

export interface CallOptions {
  /** The job's deadline (ms since the epoch): no wait runs past it. */
  deadlineMs: number;
  signal?: AbortSignal;
  log: Logger;
  /** Pace the request on this channel. */
  channelId?: string;
  /** Each request goes through it (deliver.ts: the sending claim and the request's bound); default: bounded by `signal`. */
  exchange?: Exchange;
}

export interface CallResult<T> {
  value: T;
  /** Requests made (1 when the first one landed). */
  attempts: number;
  /** Time spent waiting for the channel's pace. */
  pacedMs: number;
}

export interface ConnectorCallerDeps {
  bot: Pick<BotConnection, 'refreshToken'>;
  pace: ChannelPace | null;
  policy: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => Date;
  random?: () => number;
}

export type ConnectorCall = <T>(request: (signal: AbortSignal) => Promise<T>, options: CallOptions) => Promise<CallResult<T>>;

export function connectorCaller({ bot, pace, policy, sleep = abortableSleep, now, random = Math.random }: ConnectorCallerDeps): ConnectorCall {
  /**
   * p-retry drives the attempts; every wait is teams-retry's decision, taken
   * and slept in onFailedAttempt, so p-retry's own backoff is off
   * (minTimeout 0) and its attempt count unbounded (retryDecision stops at
   * policy.maxAttempts). Throwing there ends the retries with that error.
   */
  return async function call<T>(request: (signal: AbortSignal) => Promise<T>, options: CallOptions): Promise<CallResult<T>> {
    const { log, signal, deadlineMs } = options;
    const exchange = options.exchange ?? directExchange(signal);
    let refreshed = false;
    let pacedMs = 0;
    return pRetry(
      async (attempt) => {
        if (pace && options.channelId) pacedMs += await pace.take(options.channelId, { deadlineMs, signal });
        return { value: await exchange(request), attempts: attempt, pacedMs };
      },
      {
        retries: Infinity,
        minTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber: attempt }) => {
          const { status, retryAfterHeader, body } = connectorFailure(error);
          if (status === 401 && !refreshed) {
            // A cached token can be refused before it expires (revoked, or a restarted connector): get a fresh one once.
            refreshed = true;
            log.warn({ status }, 'teams: the Bot Connector refused the cached token; getting a new one');
            await bot.refreshToken();
            return;
          }
          if (status === undefined || !RETRIED_STATUSES.has(status)) throw error;
          const nowMs = now().getTime();
          const retryAfterMs = parseRetryAfter(retryAfterHeader, nowMs) ?? retryAfterFromBody(body);
          const decision = retryDecision({ status, retryAfterMs, attempt, nowMs, deadlineMs, random: random(), policy });
          if ('giveUp' in decision) throw new CourierError('DELIVERY_FAILED', decision.giveUp);
          const mayHaveLanded = status === 502 || status === 504;
          log.warn(
            { status, attempt, waitMs: decision.retryInMs, retryAfterMs, retryAfterFrom: retryAfterHeader ? 'header' : retryAfterMs !== null ? 'body' : null, ...(mayHaveLanded ? { mayHaveLanded } : {}) },
            'teams: transient answer, waiting before retrying',
          );
          await sleep(decision.retryInMs, signal);
        },
      },
    );
  };
}

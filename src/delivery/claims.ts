// The sending claim around one target's send: how deliver.ts makes sure no
// retry delivers to a recipient while an earlier attempt may still be
// delivering to it (the claims live beside the receipts: ledger.ts).
//
//   1. Claim the recipients that have no receipt, with a token of this
//      attempt's own. A recipient another attempt holds is waited for
//      (asking Redis again) until that claim is settled or its lease runs
//      out; if this attempt stops first, it is not sent to, and says why.
//   2. Every exchange on the wire renews the claim first (unless it was just
//      taken) and is bounded by SEND_TIMEOUT_MS, measured from before the
//      claim was asked for; the lease (SEND_TIMEOUT_MS +
//      SEND_SETTLE_MARGIN_MS, from when Redis took it) therefore always ends
//      after the exchange does. No exchange starts once the attempt stopped.
//   3. After the send: receipts for who was served (the claim goes with
//      them); the claim released for whom nothing was sent; and left to run
//      out when the exchange was cut off while waiting for its answer (the
//      server may have accepted it: its outcome is unknown).
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { abortReason, type AttemptLife } from '../deadline.js';
import { CourierError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { SEND_SETTLE_MARGIN_MS, type ClaimResult, type Receipt, type ReceiptLedger } from './ledger.js';
import { abortableSleep } from './teams-pace.js';
import type { Exchange } from './types.js';

/** How often a retry asks again whether an earlier attempt's claim was settled. */
const CLAIM_POLL_MS = 1000;
/** A claim taken this recently covers the first exchange without being renewed. */
const FRESH_CLAIM_MS = 1000;
/** Waits between tries of a receipt write: doubling from the first, capped (ioredis itself reconnects at most every 2 s). */
const RECEIPT_RETRY_FIRST_MS = 100;
const RECEIPT_RETRY_MAX_MS = 2000;

export interface ClaimDeps {
  ledger: ReceiptLedger;
  log: Logger;
  /** SEND_TIMEOUT_MS: the bound of one exchange on the wire. */
  sendTimeoutMs: number;
  /** How long a receipt write after a successful send keeps trying while Redis does not answer. */
  receiptWritePatienceMs: number;
}

export interface ClaimTarget {
  jobId: string;
  key: string;
  recipients: string[];
  attempt: AttemptLife;
  /** Who this attempt is, for the logs of an attempt that finds its claim. */
  holder: string;
  /** Fields of the target's log lines. */
  logged: Record<string, unknown>;
}

export interface TargetClaim extends Omit<ClaimResult, 'claimed'> {
  /** The recipients to send to now: claimed by this attempt. */
  pending: string[];
  /** Every exchange of the send goes through it. */
  exchange: Exchange;
  /** Whether an exchange was cut off by its bound while on the wire: the server may have accepted it. */
  readonly cutOff: boolean;
  /** Writes the receipts of a send that succeeded, trying again while Redis does not answer (within the patience and the attempt). */
  served(recipients: string[], id: string): Promise<void>;
  /** Releases the claims of recipients nothing was sent to, so a retry need not wait them out. */
  release(recipients: string[]): Promise<void>;
}

/** Why a recipient held by another attempt was not sent to. */
export function stillClaimed(msLeft: number, holder: string): string {
  return `an earlier attempt (${holder || 'unknown'}) may still be delivering to it (its claim runs out in ${Math.ceil(msLeft / 1000)} s), so it was not sent to, so as never to send twice; the retry looks again`;
}

/** Why the outcome of a send cut off by its bound is unknown. */
export function outcomeUnknown(sendTimeoutMs: number, id: string | null): string {
  return `outcome unknown: the send was still waiting for the server's answer when SEND_TIMEOUT_MS (${sendTimeoutMs} ms) ran out, so it was cut off; the server may have accepted it. A retry sends again once this attempt's claim has run out${id ? ` (an email again with the same Message-ID ${id})` : ''}`;
}

export async function claimTarget(deps: ClaimDeps, target: ClaimTarget): Promise<TargetClaim> {
  const { ledger, log, sendTimeoutMs } = deps;
  const { jobId, key, attempt, holder, logged } = target;
  const token = randomUUID();
  const request = { token, leaseMs: sendTimeoutMs + SEND_SETTLE_MARGIN_MS, holder };
  let claimedAt = Date.now();
  let state = await ledger.claim(jobId, key, target.recipients, request);

  let told = false;
  while (state.busy.size > 0 && !attempt.stop.aborted) {
    const [first] = state.busy.values();
    if (!told) {
      told = true;
      log.info({ ...logged, recipients: state.busy.size, holder: first?.holder, claimEndsInMs: first?.msLeft }, 'an earlier attempt may still be delivering to these recipients: waiting until its claim is settled or runs out');
    }
    const waitMs = Math.min(CLAIM_POLL_MS, ...[...state.busy.values()].map((b) => b.msLeft + 10));
    try {
      await abortableSleep(waitMs, attempt.stop);
    } catch {
      break;
    }
    claimedAt = Date.now();
    // Everyone without a receipt again: the claims already taken are renewed with the same token.
    state = await ledger.claim(jobId, key, target.recipients.filter((r) => !state.receipts.has(r)), request).then((next) => ({ ...next, receipts: new Map([...state.receipts, ...next.receipts]) }));
  }
  const pending = state.claimed;
  if (state.unsettled.size > 0) {
    log.warn(
      { ...logged, recipients: state.unsettled.size, holder: [...state.unsettled.values()][0] },
      'an earlier attempt was sending to these recipients and never settled (it died, or was cut off): its outcome is unknown; sending again, as documented (an email with the same Message-ID)',
    );
  }

  let cutOff = false;
  let renewed = false;
  const exchange: Exchange = async (send) => {
    if (attempt.stop.aborted) throw abortReason(attempt.stop);
    if (renewed || Date.now() - claimedAt > FRESH_CLAIM_MS) {
      claimedAt = Date.now();
      const again = await ledger.claim(jobId, key, pending, request);
      if (again.claimed.length < pending.length) throw new CourierError('DELIVERY_FAILED', 'another attempt of this job took over these recipients while this one waited; nothing more was sent by this one');
      if (attempt.stop.aborted) throw abortReason(attempt.stop);
    }
    renewed = true;
    const bound = AbortSignal.any([attempt.ended, AbortSignal.timeout(Math.max(1, claimedAt + sendTimeoutMs - Date.now()))]);
    try {
      return await send(bound);
    } catch (err) {
      if (bound.aborted) cutOff = true;
      throw err;
    }
  };

  return {
    receipts: state.receipts,
    busy: state.busy,
    unsettled: state.unsettled,
    pending,
    exchange,
    get cutOff() {
      return cutOff;
    },
    async served(recipients, id) {
      await pRetry(
        async (tries) => {
          if (attempt.ended.aborted) throw abortReason(attempt.ended);
          await ledger.settle(jobId, key, recipients, token, id);
          if (tries > 1) log.info({ ...logged, tries }, 'receipt written once Redis answered again: a retry will not send this message twice');
        },
        {
          retries: Infinity,
          minTimeout: RECEIPT_RETRY_FIRST_MS,
          factor: 2,
          maxTimeout: RECEIPT_RETRY_MAX_MS,
          maxRetryTime: deps.receiptWritePatienceMs,
          signal: attempt.ended,
          shouldRetry: () => !attempt.ended.aborted,
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (attemptNumber > 1) return;
            log.warn(
              { ...logged, id, reason: explainRedisError(error).reason, patienceMs: deps.receiptWritePatienceMs },
              'sent, but the receipt cannot be written yet; trying again until Redis answers (or a replica has it, on Sentinel and Cluster)',
            );
          },
        },
      );
    },
    async release(recipients) {
      if (recipients.length === 0 || attempt.ended.aborted) return;
      await ledger.settle(jobId, key, recipients, token, null).catch((err: unknown) => {
        log.warn({ ...logged, reason: errorMessage(err) }, 'could not release a sending claim; it runs out by itself');
      });
    },
  };
}

export type { Receipt };

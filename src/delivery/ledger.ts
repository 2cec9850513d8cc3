// The receipt ledger: which recipient already received which job's message.
// One Redis hash per job under QUEUE_PREFIX:
//
//   <prefix>:receipts:<jobId>   field "<targetKey>|<recipient>"  value {"id": "<message or activity id>", "at": "<ISO time>"}
//
// A receipt is written right after a send succeeds; a retried job reads
// them first and skips whoever is listed. HSETNX keeps the first id if two
// attempts ever raced. The hash expires RECEIPT_TTL_SECONDS after its last
// write, which must outlast any retry of the job (see RECEIPT_TTL_SECONDS).
// With a `{courier}` prefix on Redis Cluster the key shares BullMQ's slot
// (and the configuration refuses a Cluster without such a prefix).
//
// On Sentinel and Cluster a receipt is only reported written once a
// replica has it (`confirm`, WAIT 1): if the master dies right after the
// write, the replica promoted in its place still knows the message was sent.
//
// Sending claims live in the same hash (lua/receipt-claim.lua): before a
// send, an attempt claims its recipients with a token of its own and a lease
// (SEND_TIMEOUT_MS + SEND_SETTLE_MARGIN_MS, by Redis' clock) that outlasts the
// send's own bound; a retry that finds a live claim of another token waits
// it out. After the send, lua/receipt-settle.lua writes the receipt and
// removes the claim only if it is still the caller's (the token fences a
// late settle off a newer attempt's claim).
import type { RedisClient } from '../redis/connection.js';
import { luaCommand } from '../redis/lua.js';

/**
 * 7 days. A job's retries with the default policy (3 attempts, exponential
 * backoff from 5 s) are over within a minute, and even 10 attempts from 5 s
 * span under 1.5 hours; 7 days also covers a failed job retried by hand (a
 * dashboard's "retry") within the week the artifacts themselves are kept.
 */
export const RECEIPT_TTL_SECONDS = 7 * 86400;

/**
 * What a claim's lease adds to the send's own bound (SEND_TIMEOUT_MS): the
 * receipt write after the answer, and a timer firing late on a busy worker.
 * The send is bounded from before the claim is asked for, so the lease (from
 * when Redis took it) always ends after the send's bound.
 */
export const SEND_SETTLE_MARGIN_MS = 5000;

export interface ClaimRequest {
  /** This attempt's fencing token. */
  token: string;
  leaseMs: number;
  /** Who holds it, for the logs of an attempt that finds it (e.g. "attempt 1 on host:pid"). */
  holder: string;
}

export interface ClaimResult {
  /** Recipients an earlier attempt served. */
  receipts: Map<string, Receipt>;
  /** Recipients claimed by this token now. */
  claimed: string[];
  /** Recipients another attempt may still be delivering to: its lease ends in msLeft. */
  busy: Map<string, { msLeft: number; holder: string }>;
  /** Claimed now over an expired claim of another attempt that never settled: that attempt's outcome is unknown. */
  unsettled: Map<string, string>;
}

export interface Receipt {
  /** The Message-ID (email) or activity id (Teams) of the first successful send. */
  id: string;
  at: string;
}

export interface ReceiptLedger {
  /** Receipts of these recipients of one target of one job, keyed by recipient as given. */
  lookup(jobId: string, targetKey: string, recipients: string[]): Promise<Map<string, Receipt>>;
  /** Records that these recipients received the message `id`. */
  record(jobId: string, targetKey: string, recipients: string[], id: string): Promise<void>;
  /** Claims these recipients for sending (lua/receipt-claim.lua); renews the caller's own claims. */
  claim(jobId: string, targetKey: string, recipients: string[], request: ClaimRequest): Promise<ClaimResult>;
  /** Writes the receipts of a send that succeeded (id), or none (null: nothing was sent), and removes the caller's claims. */
  settle(jobId: string, targetKey: string, recipients: string[], token: string, id: string | null): Promise<void>;
}

export interface ReceiptLedgerDeps {
  redis: RedisClient;
  /** QUEUE_PREFIX. */
  prefix: string;
  ttlSeconds?: number;
  now?: () => Date;
  /** Resolves once the write survives a failover (connection.ts replicaConfirmer); rejects if unsure, and the write is tried again. */
  confirm?: () => Promise<void>;
}

/** Email addresses compare case-insensitively in practice; Teams channel ids are kept as they are. */
function field(targetKey: string, recipient: string): string {
  return `${targetKey}|${recipient.includes('@') ? recipient.toLowerCase() : recipient}`;
}

export function receiptKey(prefix: string, jobId: string): string {
  return `${prefix}:receipts:${jobId}`;
}

export function createReceiptLedger({ redis, prefix, ttlSeconds = RECEIPT_TTL_SECONDS, now = () => new Date(), confirm }: ReceiptLedgerDeps): ReceiptLedger {
  return {
    async lookup(jobId, targetKey, recipients) {
      const found = new Map<string, Receipt>();
      if (recipients.length === 0) return found;
      const values = await redis.hmget(receiptKey(prefix, jobId), ...recipients.map((r) => field(targetKey, r)));
      recipients.forEach((recipient, i) => {
        const value = values[i];
        if (value) found.set(recipient, JSON.parse(value) as Receipt);
      });
      return found;
    },

    async record(jobId, targetKey, recipients, id) {
      if (recipients.length === 0) return;
      const key = receiptKey(prefix, jobId);
      const value = JSON.stringify({ id, at: now().toISOString() } satisfies Receipt);
      const tx = redis.multi();
      for (const recipient of recipients) tx.hsetnx(key, field(targetKey, recipient), value);
      tx.expire(key, ttlSeconds);
      const results = await tx.exec();
      const failed = results?.find(([err]) => err !== null);
      if (!results || failed) throw new Error(`cannot write delivery receipts to Redis: ${failed?.[0]?.message ?? 'transaction aborted'}`);
      await confirm?.();
    },

    async claim(jobId, targetKey, recipients, { token, leaseMs, holder }) {
      const result: ClaimResult = { receipts: new Map(), claimed: [], busy: new Map(), unsettled: new Map() };
      if (recipients.length === 0) return result;
      const fields = recipients.map((r) => field(targetKey, r));
      const answer = (await luaCommand(redis, 'receipt-claim')(receiptKey(prefix, jobId), token, Math.ceil(leaseMs), holder, ttlSeconds, ...fields)) as string[];
      recipients.forEach((recipient, i) => {
        const state = answer[2 * i];
        const detail = answer[2 * i + 1] ?? '';
        if (state === 'receipt') result.receipts.set(recipient, JSON.parse(detail) as Receipt);
        else if (state === 'busy') {
          const bar = detail.indexOf('|');
          result.busy.set(recipient, { msLeft: Number(detail.slice(0, bar)), holder: detail.slice(bar + 1) });
        } else {
          result.claimed.push(recipient);
          if (detail !== '') result.unsettled.set(recipient, detail);
        }
      });
      return result;
    },

    async settle(jobId, targetKey, recipients, token, id) {
      if (recipients.length === 0) return;
      const value = id === null ? '' : JSON.stringify({ id, at: now().toISOString() } satisfies Receipt);
      await luaCommand(redis, 'receipt-settle')(receiptKey(prefix, jobId), token, value, ttlSeconds, ...recipients.map((r) => field(targetKey, r)));
      if (id !== null) await confirm?.();
    },
  };
}

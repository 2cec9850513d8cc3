// Interfaces between the delivery orchestrator (deliver.ts: targets, ledger,
// exactly-once) and the two channels (email.ts, teams.ts). Processors only
// see DeliveryService.
import type { Target, TeamsTarget } from '../contracts/common.js';
import type { DeliveryReport } from '../contracts/result.js';
import type { AttemptLife } from '../deadline.js';
import type { Logger } from '../log.js';
import type { Message, MessageInput } from './messages.js';

/**
 * Runs one exchange on the wire (an SMTP transaction, one Bot Connector
 * request), handing it the signal that bounds it: deliver.ts renews the
 * recipients' sending claim first, refuses once the attempt has stopped, and
 * aborts the exchange at SEND_TIMEOUT_MS.
 */
export type Exchange = <T>(request: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** What the job around a delivery lends it: its deadline, its abort signal and its log. */
export interface DeliveryContext {
  /** The job attempt's deadline (ms since the epoch): retries within the delivery stop before it. */
  deadlineMs?: number;
  /** Aborts at JOB_TIMEOUT_MS (or shutdown): waits end at once, nothing new starts. */
  signal?: AbortSignal;
  /** The job's log (queue, job id, attempt): where a channel says what it did and why. */
  log?: Logger;
  /** The attempt (queue/worker.ts): deliveries in flight hold its end back, within the send grace. */
  attempt?: AttemptLife;
  /** Who this attempt is, in a sending claim (e.g. "attempt 2 of job 42 on host:1234"). */
  holder?: string;
  /** Set by deliver.ts for a channel: every exchange on the wire goes through it. */
  exchange?: Exchange;
}

/** An exchange without deliver.ts around it (commands, doctor): bounded only by the caller's signal. */
export function directExchange(signal?: AbortSignal): Exchange {
  return (request) => {
    signal?.throwIfAborted();
    return request(signal ?? new AbortController().signal);
  };
}

export interface DeliveryRequest {
  /** The BullMQ job id: with the target and recipient, the key of a receipt. */
  jobId: string;
  targets: Target[];
  input: MessageInput;
  context?: DeliveryContext;
}

export interface DeliveryService {
  /**
   * Sends the message to every target, skipping recipients whose receipt says
   * they were served by an earlier attempt of this job (status
   * "already-sent"). Throws a CourierError: DELIVERY_FAILED naming every
   * failed recipient and why, INVALID_JOB for a recipient outside
   * RECIPIENT_DOMAINS or a channel that is not configured, FORBIDDEN_URL for
   * a Teams service URL that is not allowed.
   */
  deliver(request: DeliveryRequest): Promise<DeliveryReport[]>;
  /**
   * The checks deliver() makes before its first send, on their own: a
   * processor calls it before rendering, so a job that could never be
   * delivered fails at once (INVALID_JOB, FORBIDDEN_URL) without a render.
   */
  check(targets: Target[]): void;
  close(): Promise<void>;
}

export interface EmailRecipients {
  to: string[];
  cc: string[];
  bcc: string[];
}

export interface EmailSendResult {
  /** The Message-ID of the sent message. */
  id: string;
  accepted: string[];
  rejected: { address: string; reason: string }[];
}

export interface EmailSendOptions {
  /**
   * The job's delivery key and the target's key (deliver.ts targetKey): the
   * channel makes the Message-ID from them, the same on every attempt, so a
   * duplicate (see deliver.ts for when one can happen) threads as one message.
   */
  jobId: string;
  targetKey: string;
  /**
   * The SMTP envelope (who actually receives it) when it differs from the
   * headers: a retry sends only to recipients not yet served, while To/Cc stay
   * as on the first attempt, so every copy is the same message.
   */
  envelopeTo?: string[];
}

export interface EmailSender {
  /** Sends one message to these recipients, with a Message-ID deterministic per job and target; the transaction goes through `context.exchange`. */
  send(message: Message, recipients: EmailRecipients, options: EmailSendOptions, context?: DeliveryContext): Promise<EmailSendResult>;
  /** Connects and authenticates without sending (doctor). */
  verify(): Promise<void>;
  close(): void;
}

export interface TeamsChannelInfo {
  id: string;
  name: string;
}

export interface TeamsSender {
  /**
   * Starts a new thread in the target channel with the message as an
   * Adaptive Card; returns the activity id. Transient answers are retried
   * within the call, until the context's deadline.
   */
  post(target: TeamsTarget, message: Message, context?: DeliveryContext): Promise<{ id: string }>;
  /** The team's channels; the service URL defaults to the cloud's fixed endpoint (MICROSOFT_CLOUD). */
  listChannels(teamId: string, serviceUrl?: string): Promise<TeamsChannelInfo[]>;
  /** Exchanges the app id and password for a token (doctor). */
  checkToken(): Promise<void>;
}

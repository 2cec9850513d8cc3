// The delivery orchestrator: one message to every target of a job, each
// recipient served exactly once as people see it.
//
//  1. Check every target before anything is sent: recipients inside
//     RECIPIENT_DOMAINS, Teams service URLs inside TEAMS_SERVICE_URLS, and
//     the channel configured. One bad target means nothing is sent at all.
//  2. For each target, read its receipts (ledger.ts): recipients already
//     served by an earlier attempt are reported `already-sent` and skipped.
//  3. Send to the others; write a receipt right after each successful send.
//     When the receipts cannot be read (Redis down), nothing is sent to that
//     target: sending blind could repeat a message.
//  4. Attempt every target even when one fails; then fail with
//     DELIVERY_FAILED naming each recipient not served and why, so the retry
//     sends only to them.
//
//  5. No retry delivers to a recipient while an earlier attempt may still be
//     delivering to it: each target's recipients are claimed first, and
//     every exchange on the wire is bounded (claims.ts). When the job's
//     deadline passes mid-delivery, a send already on the wire finishes
//     within SEND_TIMEOUT_MS and writes its receipt before the attempt ends
//     (the send grace: deadline.ts startAttempt); targets not yet started
//     are left to the retry, and the job fails JOB_TIMEOUT saying which.
//
// A receipt that cannot be written right after a send (Redis restarting) is
// tried again until Redis answers, for up to RECEIPT_WRITE_PATIENCE_MS: a
// retry of the job would otherwise find no receipt and send again.
//
// The windows that remain (docs/jobs.md "Exactly once"): the process dies
// while a send is on the wire (the server may have accepted it, the retry
// cannot know) or after it was accepted and before the receipt is written
// (a single Redis round trip); Redis stays away longer than that patience;
// or a server answers later than SEND_TIMEOUT_MS, so the send is cut off
// with its outcome unknown. The retry then sends again. An email duplicate
// carries the same deterministic Message-ID, so mail clients show it as the
// same message (Gmail discards it); a Teams duplicate is a second post.
import type { Config } from '../config.js';
import type { EmailTarget, Target, TeamsTarget } from '../contracts/common.js';
import type { DeliveryReport } from '../contracts/result.js';
import { abortReason, standaloneAttempt, type AttemptLife } from '../deadline.js';
import { CourierError, errorMessage, isCourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { assertServiceUrlAllowed } from '../urls.js';
import { claimTarget, outcomeUnknown, stillClaimed, type TargetClaim } from './claims.js';
import type { ReceiptLedger } from './ledger.js';
import { composeMessage, type Message, type MessageKind } from './messages.js';
import type { DeliveryRequest, DeliveryService, EmailSender, EmailSendResult, TeamsSender } from './types.js';

export type DeliveryChannel = 'email' | 'teams';
export type DeliveryOutcome = 'sent' | 'already-sent' | 'failed';

/**
 * How long a receipt write after a successful send keeps trying while Redis
 * does not answer: a Redis restart or failover takes seconds. Once the
 * job's deadline has passed, the end of the send grace bounds it too.
 */
export const RECEIPT_WRITE_PATIENCE_MS = 60_000;

export interface DeliveryServiceDeps {
  config: Pick<Config, 'recipientDomains' | 'teamsServiceUrls' | 'teamsDefaultServiceUrl' | 'sendTimeoutMs'>;
  log: Logger;
  ledger: ReceiptLedger;
  /** null when SMTP_URL is not set: email targets are refused. */
  email: EmailSender | null;
  /** null when MICROSOFT_APP_ID is not set: Teams targets are refused. */
  teams: TeamsSender | null;
  /** Called once per target and outcome (e.g. to count courier_deliveries_total{channel,outcome}). */
  onDelivery?: (channel: DeliveryChannel, outcome: DeliveryOutcome) => void;
  /** Overrides RECEIPT_WRITE_PATIENCE_MS (tests of the window beyond it). */
  receiptWritePatienceMs?: number;
}

/** One recipient (or group sharing a reason) not served by this attempt. */
interface Failure {
  where: string;
  recipients: string[];
  reason: string;
}

interface TargetOutcome {
  reports: DeliveryReport[];
  failures: Failure[];
}

// ---------------------------------------------------------------------------
// Checks before the first send (pure)

export interface TargetRules {
  recipientDomains: string[];
  teamsServiceUrls: string[];
  /** Where a Teams target without its own service URL goes (TEAMS_DEFAULT_SERVICE_URL). */
  teamsDefaultServiceUrl: string;
  emailConfigured: boolean;
  teamsConfigured: boolean;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Every address of an email target once (case-insensitively), in to, cc, bcc order. */
export function emailRecipients(target: EmailTarget): string[] {
  const seen = new Set<string>();
  return [...target.to, ...(target.cc ?? []), ...(target.bcc ?? [])].filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What stops a list of targets from being served, by the error it gives: FORBIDDEN_URL or INVALID_JOB. */
export interface TargetProblems {
  forbidden: string[];
  invalid: string[];
}

/**
 * Every reason a target of the list cannot be served, named `<field>.<index>
 * (<type>)`; pure, so `courier enqueue` asks the same question before adding
 * a job (processors/prologue.ts).
 */
export function targetProblems(targets: Target[], rules: TargetRules, field = 'deliver'): TargetProblems {
  const invalid: string[] = [];
  const forbidden: string[] = [];
  const allowed = new Set(rules.recipientDomains);
  targets.forEach((target, index) => {
    const where = `${field}.${index} (${target.type})`;
    if (target.type === 'email') {
      if (!rules.emailConfigured) invalid.push(`${where}: email is not configured on this worker (SMTP_URL is not set)`);
      if (allowed.size > 0) {
        const outside = emailRecipients(target).filter((address) => !allowed.has(domainOf(address)));
        if (outside.length > 0) {
          invalid.push(`${where}: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside RECIPIENT_DOMAINS (${rules.recipientDomains.join(', ')})`);
        }
      }
    } else {
      try {
        assertServiceUrlAllowed(target.serviceUrl ?? rules.teamsDefaultServiceUrl, rules.teamsServiceUrls);
      } catch (err) {
        const defaulted = target.serviceUrl === undefined ? ' (TEAMS_DEFAULT_SERVICE_URL: the target names no serviceUrl)' : '';
        forbidden.push(`${where}: ${isCourierError(err) ? err.detail : errorMessage(err)}${defaulted}`);
      }
      if (!rules.teamsConfigured) invalid.push(`${where}: Microsoft Teams is not configured on this worker (MICROSOFT_APP_ID is not set)`);
    }
  });
  return { forbidden, invalid };
}

/**
 * Throws before anything is sent when any target cannot be served:
 * FORBIDDEN_URL when a Teams service URL is not allowed (it would receive
 * the bot's token), otherwise INVALID_JOB; the message names every problem.
 */
export function checkTargets(targets: Target[], rules: TargetRules): void {
  const { forbidden, invalid } = targetProblems(targets, rules);
  if (forbidden.length > 0) {
    throw new CourierError('FORBIDDEN_URL', `nothing was sent: ${[...forbidden, ...invalid].join('; ')}`);
  }
  if (invalid.length > 0) throw new CourierError('INVALID_JOB', `nothing was sent: ${invalid.join('; ')}`);
}

/**
 * Identifies a target within a job in receipts and Message-IDs. The kind is
 * part of it because one job may deliver twice to lists that share indexes
 * (an alert's `deliver` and its `onError` targets).
 */
export function targetKey(kind: MessageKind, index: number, target: Target): string {
  return `${kind}:${index}:${target.type}`;
}

/** One clause per distinct reason, so a server-wide failure (a wrong SMTP password) is said once for all targets. */
function describeFailure(failures: Failure[]): string {
  const count = failures.reduce((n, f) => n + f.recipients.length, 0);
  const byReason = new Map<string, string[]>();
  for (const f of failures) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), `${f.where} ${f.recipients.join(', ')}`]);
  const lines = [...byReason].map(([reason, wheres]) => `${wheres.join(' and ')}: ${reason}`);
  return `${count} recipient${count === 1 ? '' : 's'} not served: ${lines.join('; ')}. Recipients already served are not sent to again when the job is retried.`;
}

/** The sender of a channel; check() has refused the job already when it is not configured. */
function configured<S>(sender: S | null, channel: DeliveryChannel): S {
  if (sender === null) throw new CourierError('INVALID_JOB', `nothing was sent: ${channel} is not configured on this worker`);
  return sender;
}

function reasonOf(err: unknown): string {
  return isCourierError(err) ? err.detail : errorMessage(err);
}

// ---------------------------------------------------------------------------
// The service

export function createDeliveryService({ config, log, ledger, email, teams, onDelivery, receiptWritePatienceMs = RECEIPT_WRITE_PATIENCE_MS }: DeliveryServiceDeps): DeliveryService {
  const count = (channel: DeliveryChannel, outcome: DeliveryOutcome): void => {
    try {
      onDelivery?.(channel, outcome);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'onDelivery hook failed');
    }
  };
  const claimDeps = { ledger, log, sendTimeoutMs: config.sendTimeoutMs, receiptWritePatienceMs };

  /** Why nothing was sent to a target whose receipts cannot be read: sending blind could repeat a message. */
  const ledgerUnavailable = (err: unknown): string => `the receipt ledger in Redis cannot be read (${errorMessage(err)}), so nothing was sent to this target`;
  /** The window documented at the top of this file, when it actually happens. */
  const receiptNotWritten = (err: unknown, id: string): string =>
    `sent (id ${id}), but its receipt could not be written to Redis (${errorMessage(err)}); a retry will send it again${id.startsWith('<') ? ' with the same Message-ID' : ''}`;

  /** Claims a target's recipients; null (with the failure said) when the ledger cannot be reached. */
  async function claim(request: DeliveryRequest, attempt: AttemptLife, key: string, recipients: string[], logged: Record<string, unknown>): Promise<TargetClaim | { unavailable: string }> {
    try {
      return await claimTarget(claimDeps, { jobId: request.jobId, key, recipients, attempt, holder: request.context?.holder ?? 'an attempt', logged });
    } catch (err) {
      return { unavailable: ledgerUnavailable(err) };
    }
  }

  /** A send the attempt's stop came before (nothing went on the wire, or a retried request was not made again). */
  const notStarted = (err: unknown): string => `not sent: the attempt stopped before the send started (${reasonOf(err)})`;

  /** Recipients held by another attempt when this one stopped waiting, one failure per holder. */
  const busyFailures = (where: string, held: TargetClaim['busy']): Failure[] => [...held].map(([recipient, { msLeft, holder }]) => ({ where, recipients: [recipient], reason: stillClaimed(msLeft, holder) }));

  async function deliverEmail(sender: EmailSender, request: DeliveryRequest, attempt: AttemptLife, index: number, target: EmailTarget, message: Message): Promise<TargetOutcome> {
    const key = targetKey(request.input.kind, index, target);
    const where = `deliver.${index} email to`;
    const everyone = emailRecipients(target);
    const reports: DeliveryReport[] = [];
    const logged = { jobId: request.jobId, channel: 'email', target: index };

    const claimed = await claim(request, attempt, key, everyone, logged);
    if ('unavailable' in claimed) {
      count('email', 'failed');
      log.error({ ...logged, recipients: everyone.length, status: 'failed', reason: claimed.unavailable }, 'email delivery');
      return { reports, failures: [{ where, recipients: everyone, reason: claimed.unavailable }] };
    }
    const failures = busyFailures(where, claimed.busy);

    // Recipients served by an earlier attempt, grouped by the id they received.
    const servedById = new Map<string, string[]>();
    for (const [address, receipt] of claimed.receipts) servedById.set(receipt.id, [...(servedById.get(receipt.id) ?? []), address]);
    for (const [id, addresses] of servedById) {
      reports.push({ type: 'email', to: addresses, status: 'already-sent', id });
      log.info({ ...logged, recipients: addresses.length, status: 'already-sent' }, 'email already sent by an earlier attempt');
      count('email', 'already-sent');
    }

    const { pending } = claimed;
    if (pending.length === 0) return { reports, failures };

    let result: EmailSendResult;
    try {
      result = await sender.send(
        message,
        { to: target.to, cc: target.cc ?? [], bcc: target.bcc ?? [] },
        { jobId: request.jobId, targetKey: key, envelopeTo: pending },
        { ...request.context, exchange: claimed.exchange },
      );
    } catch (err) {
      count('email', 'failed');
      const reason = claimed.cutOff ? outcomeUnknown(config.sendTimeoutMs, null) : attempt.stop.aborted ? notStarted(err) : reasonOf(err);
      if (!claimed.cutOff) await claimed.release(pending);
      log.warn({ ...logged, recipients: pending.length, status: claimed.cutOff ? 'unknown' : 'failed', reason }, 'email delivery');
      return { reports, failures: [...failures, { where, recipients: pending, reason }] };
    }

    const acceptedSet = new Set(result.accepted.map((a) => a.toLowerCase()));
    const accepted = pending.filter((address) => acceptedSet.has(address.toLowerCase()));
    if (accepted.length > 0) {
      try {
        // Right after the send: this write closes the window in which a retry would send again.
        await claimed.served(accepted, result.id);
        reports.push({ type: 'email', to: accepted, status: 'sent', id: result.id });
        count('email', 'sent');
      } catch (err) {
        log.error({ ...logged, recipients: accepted.length, status: 'receipt-not-written', messageId: result.id, reason: errorMessage(err) }, 'email delivery');
        failures.push({ where, recipients: accepted, reason: receiptNotWritten(err, result.id) });
      }
    }
    for (const { address, reason } of result.rejected) failures.push({ where, recipients: [address], reason });
    // Anything neither accepted nor named as rejected is not served either.
    const named = new Set([...acceptedSet, ...result.rejected.map((r) => r.address.toLowerCase())]);
    const unaccounted = pending.filter((address) => !named.has(address.toLowerCase()));
    if (unaccounted.length > 0) failures.push({ where, recipients: unaccounted, reason: 'the server did not confirm these recipients' });
    await claimed.release(pending.filter((address) => !acceptedSet.has(address.toLowerCase())));
    if (accepted.length < pending.length) count('email', 'failed');
    log.info(
      {
        ...logged,
        recipients: accepted.length,
        refused: pending.length - accepted.length,
        status: accepted.length === pending.length ? 'sent' : accepted.length > 0 ? 'partly-sent' : 'failed',
        messageId: result.id,
      },
      'email delivery',
    );
    return { reports, failures };
  }

  async function deliverTeams(sender: TeamsSender, request: DeliveryRequest, attempt: AttemptLife, index: number, target: TeamsTarget, message: Message): Promise<TargetOutcome> {
    const key = targetKey(request.input.kind, index, target);
    const where = `deliver.${index} teams channel`;
    const logged = { jobId: request.jobId, channel: 'teams', target: index, recipients: 1 };
    const failed = (reason: string, err: unknown, status = 'failed'): TargetOutcome => {
      count('teams', 'failed');
      log.warn({ ...logged, status, reason: errorMessage(err) }, 'teams delivery');
      return { reports: [], failures: [{ where, recipients: [target.channelId], reason }] };
    };

    const claimed = await claim(request, attempt, key, [target.channelId], logged);
    if ('unavailable' in claimed) return failed(claimed.unavailable, claimed.unavailable);
    const receipt = claimed.receipts.get(target.channelId);
    if (receipt) {
      log.info({ ...logged, status: 'already-sent' }, 'teams post already made by an earlier attempt');
      count('teams', 'already-sent');
      return { reports: [{ type: 'teams', channelId: target.channelId, status: 'already-sent', id: receipt.id }], failures: [] };
    }
    const busy = busyFailures(where, claimed.busy);
    if (busy.length > 0) return failed(busy[0]!.reason, busy[0]!.reason, 'busy');

    let id: string;
    try {
      ({ id } = await sender.post(target, message, { ...request.context, exchange: claimed.exchange }));
    } catch (err) {
      if (claimed.cutOff) return failed(outcomeUnknown(config.sendTimeoutMs, null), err, 'unknown');
      await claimed.release([target.channelId]);
      return failed(attempt.stop.aborted ? notStarted(err) : reasonOf(err), err);
    }
    try {
      await claimed.served([target.channelId], id);
    } catch (err) {
      return failed(receiptNotWritten(err, id), err);
    }
    count('teams', 'sent');
    log.info({ ...logged, status: 'sent', activityId: id }, 'teams delivery');
    return { reports: [{ type: 'teams', channelId: target.channelId, status: 'sent', id }], failures: [] };
  }

  const check = (targets: Target[]): void =>
    checkTargets(targets, {
      recipientDomains: config.recipientDomains,
      teamsServiceUrls: config.teamsServiceUrls,
      teamsDefaultServiceUrl: config.teamsDefaultServiceUrl,
      emailConfigured: email !== null,
      teamsConfigured: teams !== null,
    });

  return {
    check,

    async deliver(request: DeliveryRequest): Promise<DeliveryReport[]> {
      check(request.targets);
      const attempt = request.context?.attempt ?? standaloneAttempt(request.context?.signal);
      // Nothing of an attempt that has stopped starts: not even a look at the receipts.
      if (attempt.stop.aborted) throw abortReason(attempt.stop);
      const reports: DeliveryReport[] = [];
      const failures: Failure[] = [];
      for (const [index, target] of request.targets.entries()) {
        if (attempt.stop.aborted) {
          // The deadline came during an earlier target: this one is left whole for the retry.
          const recipients = target.type === 'email' ? emailRecipients(target) : [target.channelId];
          failures.push({ where: `deliver.${index} ${target.type === 'email' ? 'email to' : 'teams channel'}`, recipients, reason: 'not attempted: the attempt stopped before this target' });
          continue;
        }
        // Composed per target: a target's own `lang` (and subject) make its message.
        const message = composeMessage(request.input, target.type === 'email' ? { subject: target.subject, message: target.message, lang: target.lang } : { message: target.message, lang: target.lang });
        const outcome = await attempt
          .delivering(() =>
            target.type === 'email'
              ? deliverEmail(configured(email, 'email'), request, attempt, index, target, message)
              : deliverTeams(configured(teams, 'teams'), request, attempt, index, target, message),
          )
          .catch((err: unknown): TargetOutcome => {
            if (!attempt.stop.aborted) throw err;
            const recipients = target.type === 'email' ? emailRecipients(target) : [target.channelId];
            return { reports: [], failures: [{ where: `deliver.${index} ${target.type}`, recipients, reason: `not sent: the attempt stopped (${reasonOf(err)})` }] };
          });
        reports.push(...outcome.reports);
        failures.push(...outcome.failures);
      }
      if (failures.length > 0) {
        if (attempt.stop.aborted) {
          // The job's deadline (or shutdown) came during delivery: its own code, with what became of each recipient.
          const stopped = abortReason(attempt.stop);
          const served = reports.filter((r) => r.status === 'sent').length;
          throw new CourierError(isCourierError(stopped) ? stopped.code : 'JOB_TIMEOUT', `${isCourierError(stopped) ? stopped.detail : stopped.message} It stopped during delivery: ${served} target${served === 1 ? '' : 's'} served before or within the send grace (receipts written); ${describeFailure(failures)}`);
        }
        throw new CourierError('DELIVERY_FAILED', describeFailure(failures));
      }
      return reports;
    },

    /** Closes the email sender (the service owns the senders it was given). */
    close(): Promise<void> {
      email?.close();
      return Promise.resolve();
    },
  };
}

// The email channel: nodemailer over a pooled SMTP transport (SMTP_URL).
// It lays a Message out with the templates in templates/email/, decides how
// the image and the document travel (inline / attached, or a signed link
// when the encoded size is over MAIL_MAX_ATTACHMENT_BYTES), and turns SMTP
// failures into sentences an operator can act on. It knows nothing of
// receipts or retries: that is deliver.ts.
//
// Each message travels on a connection of its own, opened by courier
// (nodemailer's getSocket), so that the exchange's signal can end exactly
// that transaction: a send still waiting for the server's answer when its
// bound (SEND_TIMEOUT_MS) runs out is cut off, never left running beside a
// retry. A pool could not tell which of its connections carries a message.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { redactUrlCredentials, type Config } from '../config.js';
import { CourierError, isCourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { attachmentFileName, imageFormatOf } from '../artifacts/formats.js';
import { createArtifactLinks, type ArtifactLinks } from '../artifacts/links.js';
import type { Message } from './messages.js';
import { emailView, loadEmailTemplates, type EmailTemplates, type PartDelivery } from './templates.js';
import { abortReason } from '../deadline.js';
import { directExchange, type DeliveryContext, type EmailRecipients, type EmailSender, type EmailSendOptions, type EmailSendResult } from './types.js';

export type EmailConfig = Pick<Config, 'smtpUrl' | 'mailFrom' | 'mailMaxAttachmentBytes' | 'artifactsDir' | 'publicUrl' | 'artifactLinkSecret' | 'artifactLinkTtlSeconds'>;

/** Content-ID of the story image inside the HTML part. */
export const IMAGE_CID = 'story-image@courier';

// ---------------------------------------------------------------------------
// Sizes and how each part travels (pure)

/**
 * Bytes a part takes inside the message once base64-encoded, as nodemailer
 * writes it: 4 characters per 3 bytes, in lines of 76 plus CRLF. This is
 * what counts against the server's message size limit, about 137% of the file.
 */
export function base64EncodedSize(bytes: number): number {
  const chars = 4 * Math.ceil(bytes / 3);
  return chars + 2 * Math.ceil(chars / 76);
}

export interface PartsPlan {
  image: PartDelivery | null;
  document: PartDelivery | null;
  /** Parts over the limit that still travel in the email because no signed link can be made. */
  oversizedWithoutLink: { part: 'image' | 'document'; encodedBytes: number }[];
}

/**
 * Decides how the document and the image travel. MAIL_MAX_ATTACHMENT_BYTES
 * budgets all encoded parts of one email together, because that is what a
 * server's size limit sees; the document goes first (it is the point of a
 * report), then the image. A part that does not fit becomes a signed link
 * when PUBLIC_URL is set and the part is a stored artifact. When no link can
 * be made it is still attached: dropping it would send an email without its
 * content, and many servers accept more than the configured budget; if this
 * one does not, the send fails with a "message too large" reason that names
 * PUBLIC_URL.
 */
export function planParts(message: Message, maxBytes: number, signLink: ((artifactPath: string) => string) | null): PartsPlan {
  let budget = maxBytes;
  const oversizedWithoutLink: PartsPlan['oversizedWithoutLink'] = [];
  const decide = (part: 'image' | 'document', data: Buffer, artifactPath: string | null, travels: 'inline' | 'attached'): PartDelivery => {
    const encodedBytes = base64EncodedSize(data.length);
    if (encodedBytes <= budget) {
      budget -= encodedBytes;
      return { how: travels, bytes: data.length };
    }
    if (signLink && artifactPath) return { how: 'link', bytes: data.length, url: signLink(artifactPath) };
    budget -= encodedBytes;
    oversizedWithoutLink.push({ part, encodedBytes });
    return { how: travels, bytes: data.length };
  };
  const document = message.document ? decide('document', message.document.data, message.document.artifactPath, 'attached') : null;
  const image = message.image ? decide('image', message.image.data, message.image.artifactPath, 'inline') : null;
  return { image, document, oversizedWithoutLink };
}

/** The bare address of MAIL_FROM ("Toucan <reports@corp.com>" → reports@corp.com). */
export function senderAddress(mailFrom: string): string {
  const [first] = addressparser(mailFrom, { flatten: true });
  return first?.address ?? mailFrom;
}

/**
 * The Message-ID of one job's message to one target: the same on every
 * attempt, so a duplicate (see deliver.ts for when one can happen) is the same
 * message to mail clients, which thread it with the first (Gmail even drops it).
 */
export function deterministicMessageId(jobId: string, targetKey: string, mailFrom: string | null): string {
  const hash = createHash('sha256').update(`${jobId}\n${targetKey}`).digest('hex').slice(0, 32);
  const domain = mailFrom ? senderAddress(mailFrom).split('@')[1] : undefined;
  return `<courier.${hash}@${domain && /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'courier.invalid'}>`;
}

// ---------------------------------------------------------------------------
// SMTP failures in words (pure)

export type SmtpFailureKind = 'auth' | 'refused-recipient' | 'throttled' | 'connection' | 'timeout' | 'tls' | 'dns' | 'message-refused' | 'other';

export interface SmtpFailure {
  kind: SmtpFailureKind;
  /** What happened, with the server's own words when it gave some. */
  reason: string;
  /** What the operator can do about it. */
  hint: string;
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  errno?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
}

/** Describes a reply code + text from the server for one recipient (RCPT TO). */
export function describeRecipientReply(responseCode: number | undefined, response: string): SmtpFailure {
  const said = response.trim() || (responseCode ? String(responseCode) : 'no reply');
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) {
    return { kind: 'throttled', reason: `throttled or deferred by the server (${said})`, hint: 'the server asked to try later; the job is retried with backoff' };
  }
  return { kind: 'refused-recipient', reason: `recipient refused (${said})`, hint: 'check the address; the server does not accept mail for it from this sender' };
}

export function describeSmtpError(err: unknown): SmtpFailure {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SmtpErrorFields;
  const code = typeof e.code === 'string' ? e.code : '';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = typeof e.response === 'string' ? e.response.trim() : '';
  // OpenSSL messages end with a newline; a reason is one line.
  const message = (typeof e.message === 'string' ? e.message : String(err)).replace(/\s+/g, ' ').trim();
  const lower = message.toLowerCase();

  if (code === 'EAUTH' || code === 'ENOAUTH' || responseCode === 535 || responseCode === 534 || responseCode === 530) {
    return {
      kind: 'auth',
      reason: `authentication failed (${response || message})`,
      hint: 'check the user and password in SMTP_URL (percent-encode @ : / % in them); some providers need an app password or SMTP AUTH enabled for the mailbox',
    };
  }
  if (/econnrefused/.test(lower) || e.errno === 'ECONNREFUSED') {
    return { kind: 'connection', reason: `connection refused (${message})`, hint: 'nothing listens at the host and port of SMTP_URL: check them (587 for smtp:// with STARTTLS, 465 for smtps://) and any firewall' };
  }
  if (code === 'EDNS' || /enotfound|eai_again/.test(lower)) {
    return { kind: 'dns', reason: `SMTP host not found (${message})`, hint: 'the host name of SMTP_URL does not resolve from this worker' };
  }
  if (code === 'ETLS' || /wrong version number|certificate|self[- ]signed|ssl|tls/.test(lower)) {
    return {
      kind: 'tls',
      reason: `TLS failed (${message})`,
      hint: 'use smtps:// for port 465 and smtp:// (STARTTLS) for 587; for a private CA set NODE_EXTRA_CA_CERTS to its certificate file',
    };
  }
  if (code === 'ETIMEDOUT' || /timed? ?out/.test(lower)) {
    return { kind: 'timeout', reason: `the SMTP server did not answer in time (${message})`, hint: 'a firewall may drop the traffic, or the port expects TLS from the first byte (smtps://)' };
  }
  if (code === 'EENVELOPE' && responseCode !== undefined) {
    return describeRecipientReply(responseCode, response || message);
  }
  if (responseCode === 552 || /size|too (large|big)/.test(lower)) {
    return {
      kind: 'message-refused',
      reason: `message refused as too large (${response || message})`,
      hint: 'lower MAIL_MAX_ATTACHMENT_BYTES below the server limit and set PUBLIC_URL so large files travel as links',
    };
  }
  if (responseCode === 421 || responseCode === 450 || responseCode === 451 || responseCode === 452 || responseCode === 454) {
    return { kind: 'throttled', reason: `throttled or deferred by the server (${response || message})`, hint: 'the server asked to try later; the job is retried with backoff' };
  }
  if (code === 'ECONNECTION' || code === 'ESOCKET') {
    return { kind: 'connection', reason: `connection to the SMTP server failed (${message})`, hint: 'check the host and port of SMTP_URL and that the server is up' };
  }
  return { kind: 'other', reason: message, hint: 'see the SMTP server logs' };
}

// ---------------------------------------------------------------------------
// Transport and sender (the edge)

/**
 * nodemailer options from SMTP_URL. Query parameters of the URL pass through
 * (e.g. ?requireTLS=true, ?tls.rejectUnauthorized=false, ?name=worker.corp.com)
 * and may override the timeouts chosen here, which are shorter than
 * nodemailer's defaults so a dead server fails a job well within JOB_TIMEOUT_MS.
 */
export function smtpTransportOptions(smtpUrl: string): SMTPTransport.Options {
  return {
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    ...parseConnectionUrl(smtpUrl),
    logger: false,
    debug: false,
  };
}

/**
 * A transport for one message whose TCP connection courier opens itself
 * (nodemailer then speaks SMTP on it: implicit TLS, STARTTLS, AUTH), so that
 * `signal` can destroy it: the transaction ends at once, wherever it was.
 */
function transportFor(options: SMTPTransport.Options, signal: AbortSignal): { transport: nodemailer.Transporter<SMTPTransport.SentMessageInfo>; release: () => void } {
  let socket: Socket | null = null;
  // A fresh error: nodemailer stamps its own code on the error a socket dies of, and the signal's reason is shared.
  const cutOff = (): Error => new Error(`the send was cut off (${abortReason(signal).message})`);
  const cut = (): void => void socket?.destroy(cutOff());
  signal.addEventListener('abort', cut, { once: true });
  const getSocket = (opts: SMTPTransport.Options, callback: (err: Error | null, socketOptions: { connection: Socket } | null) => void): void => {
    const port = Number(opts.port) || (opts.secure ? 465 : 587);
    const opened = connect({ host: opts.host ?? 'localhost', port });
    socket = opened;
    if (signal.aborted) opened.destroy(cutOff());
    const failed = (err: Error): void => callback(err, null);
    opened.setTimeout(opts.connectionTimeout ?? 15_000, () => opened.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })));
    opened.once('error', failed);
    opened.once('connect', () => {
      opened.off('error', failed);
      opened.setTimeout(0);
      callback(null, { connection: opened });
    });
  };
  const transport = nodemailer.createTransport({ ...options, getSocket });
  return { transport, release: () => signal.removeEventListener('abort', cut) };
}

export interface EmailSenderDeps {
  config: EmailConfig;
  log: Logger;
  templates?: EmailTemplates;
  /** Signed links that keep their file (default: from the config; null when PUBLIC_URL is not set). */
  links?: ArtifactLinks | null;
  /** The clock for link expiry (tests move it). */
  now?: () => Date;
}

export function createEmailSender({ config, log, templates = loadEmailTemplates(), now = () => new Date(), ...deps }: EmailSenderDeps): EmailSender {
  const { smtpUrl, mailFrom } = config;
  if (!smtpUrl || !mailFrom) throw new Error('createEmailSender needs SMTP_URL and MAIL_FROM');
  const options = smtpTransportOptions(smtpUrl);
  const transport = nodemailer.createTransport(options);
  const server = redactUrlCredentials(smtpUrl);
  const { artifactLinkTtlSeconds } = config;
  const links = deps.links !== undefined ? deps.links : createArtifactLinks({ config, now });

  return {
    async send(message: Message, recipients: EmailRecipients, sendOptions: EmailSendOptions, context: DeliveryContext = {}): Promise<EmailSendResult> {
      const messageId = deterministicMessageId(sendOptions.jobId, sendOptions.targetKey, mailFrom);
      const exchange = context.exchange ?? directExchange(context.signal);
      // Links are signed while planning; their files are then promised to the sweep for as long as the links live.
      const linked: { path: string; until: number }[] = [];
      const signLink = links
        ? (path: string): string => {
            const { url, expires } = links.sign(path, 'browser');
            linked.push({ path, until: expires });
            return url;
          }
        : null;
      const plan = planParts(message, config.mailMaxAttachmentBytes, signLink);
      if (links) await Promise.all(linked.map(({ path, until }) => links.keep(path, until)));
      for (const { part, encodedBytes } of plan.oversizedWithoutLink) {
        log.warn(
          { channel: 'email', part, encodedBytes, limit: config.mailMaxAttachmentBytes },
          `the ${part} is over MAIL_MAX_ATTACHMENT_BYTES but PUBLIC_URL is not set (or it is not a stored artifact), so it is attached anyway`,
        );
      }
      const { html, text } = templates.render(
        emailView(message, { image: plan.image, document: plan.document, imageCid: IMAGE_CID, linkTtlSeconds: artifactLinkTtlSeconds }),
      );
      const attachments: Mail.Attachment[] = [];
      if (message.document && plan.document?.how === 'attached') {
        attachments.push({ filename: message.document.filename, content: message.document.data, contentType: message.document.mime });
      }
      if (message.image && plan.image?.how === 'inline') {
        attachments.push({ filename: attachmentFileName(message.title, imageFormatOf(message.image.mime)), content: message.image.data, contentType: message.image.mime, cid: IMAGE_CID });
      }
      const everyone = [...recipients.to, ...recipients.cc, ...recipients.bcc];
      const mail: Mail.Options = {
        from: mailFrom,
        to: recipients.to,
        cc: recipients.cc,
        bcc: recipients.bcc,
        // A subject typed by a person must stay one header line; no-break spaces (French « », 1 234) stay as written.
        subject: message.subject.replace(/[^\S\u00a0\u202f\u2007]+/g, ' ').trim(),
        html,
        text,
        messageId,
        attachments,
        envelope: { from: senderAddress(mailFrom), to: sendOptions.envelopeTo ?? everyone },
        // RFC 3834: an automatic message; out-of-office replies should not answer it.
        // Content-Language: the reader's language (RFC 3282), as the HTML part's <html lang>.
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply', 'Content-Language': message.lang },
      };
      try {
        const info = await exchange(async (signal) => {
          const one = transportFor(options, signal);
          try {
            return await one.transport.sendMail(mail);
          } catch (err) {
            throw signal.aborted ? abortReason(signal) : err;
          } finally {
            one.release();
            one.transport.close();
          }
        });
        return {
          id: info.messageId || messageId,
          accepted: info.accepted.map(addressOf),
          rejected: rejectedOf((info as { rejectedErrors?: unknown }).rejectedErrors),
        };
      } catch (err) {
        // Cut off by its bound or refused by the attempt: deliver.ts says what that means for the recipients.
        if (isCourierError(err) || (err instanceof Error && err.name === 'TimeoutError')) throw err;
        const rejected = rejectedOf((err as { rejectedErrors?: unknown }).rejectedErrors);
        // Every recipient refused at RCPT TO: per-recipient reasons, not a channel failure.
        if (rejected.length > 0) return { id: messageId, accepted: [], rejected };
        const failure = describeSmtpError(err);
        throw new CourierError('DELIVERY_FAILED', `${failure.reason}; ${failure.hint}`, { cause: err });
      }
    },

    async verify(): Promise<void> {
      try {
        await transport.verify();
      } catch (err) {
        const failure = describeSmtpError(err);
        throw new CourierError('DELIVERY_FAILED', `SMTP check of ${server} failed: ${failure.reason}; ${failure.hint}`, { cause: err });
      }
    },

    close(): void {
      transport.close();
    },
  };
}

function addressOf(entry: string | Mail.Address): string {
  return typeof entry === 'string' ? entry : entry.address;
}

function rejectedOf(errors: unknown): EmailSendResult['rejected'] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e: SmtpErrorFields & { recipient?: unknown }) => {
    const reply = describeRecipientReply(typeof e.responseCode === 'number' ? e.responseCode : undefined, typeof e.response === 'string' ? e.response : String(e.message));
    return { address: String(e.recipient), reason: reply.reason };
  });
}

/** The real EmailSender from the configuration, or null when email is off (no SMTP_URL). */
export function createEmailSenderFromConfig(config: EmailConfig, log: Logger, links?: ArtifactLinks | null): EmailSender | null {
  if (!config.smtpUrl) return null;
  return createEmailSender({ config, log, links });
}

export interface SmtpCheck {
  ok: boolean;
  detail: string;
  /** What to do about a failure (doctor prints it on its own line, like every hint). */
  hint?: string;
}

/**
 * `courier doctor`: connects to SMTP_URL and authenticates (EHLO, STARTTLS
 * when offered, AUTH) without sending anything. Never shows the password.
 */
export async function checkSmtp(config: Pick<Config, 'smtpUrl'>): Promise<SmtpCheck> {
  if (!config.smtpUrl) return { ok: true, detail: 'not configured (SMTP_URL is empty): email delivery is off' };
  const shown = redactUrlCredentials(config.smtpUrl);
  const options: SMTPTransport.Options = { ...parseConnectionUrl(config.smtpUrl), connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000, logger: false };
  const transport = nodemailer.createTransport(options);
  try {
    await transport.verify();
    const user = options.auth?.user;
    return { ok: true, detail: `${shown}: connected${user ? ` and authenticated as ${user}` : ' (no AUTH configured)'}` };
  } catch (err) {
    const failure = describeSmtpError(err);
    return { ok: false, detail: `${shown}: ${failure.reason}`, hint: failure.hint };
  } finally {
    transport.close();
  }
}

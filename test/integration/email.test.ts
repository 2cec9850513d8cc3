// The email channel over real SMTP on loopback: the real EmailSender
// (nodemailer, pooled) against the smtp-sink with AUTH, messages parsed with
// mailparser. The image and the PDF are real captures of the fixture story.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { base64EncodedSize, createEmailSender, deterministicMessageId, IMAGE_CID } from '../../src/delivery/email.js';
import { composeMessage } from '../../src/delivery/messages.js';
import type { EmailSender } from '../../src/delivery/types.js';
import { createLogger } from '../../src/log.js';
import { checkArtifactSignature } from '../../src/artifacts/signing.js';
import { captureStory, parse, quietLogger, reportInput, shareInput, testConfig, type StoryCapture } from './email-fixtures.js';

const AUTH = { user: 'courier', pass: 'p@ss:w/rd%' };
// A link secret as an operator makes one (openssl rand -hex 32): a guessable one is refused.
const SECRET = randomBytes(32).toString('hex');
let capture: StoryCapture;
let sink: SmtpSink;
let dir: string;
const senders: EmailSender[] = [];

function sender(env: Record<string, string> = {}, log = quietLogger()): EmailSender {
  const created = createEmailSender({ config: testConfig({ SMTP_URL: sink.url(), ...env }), log });
  senders.push(created);
  return created;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return [field ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''));
}

beforeAll(async () => {
  capture = await captureStory('sales');
  dir = mkdtempSync(join(tmpdir(), 'courier-email-'));
  sink = await SmtpSink.start({ auth: AUTH, dir });
});

afterAll(async () => {
  for (const s of senders) s.close();
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('email over SMTP', () => {
  it('delivers a share: recipients, subject, escaped comment, text part, inline image that decodes to the chart', async () => {
    const message = composeMessage(shareInput(capture), { message: 'Before Monday, please' });
    const before = sink.messages.length;
    const result = await sender().send(message, { to: ['ada@corp.example'], cc: ['bob@corp.example'], bcc: ['boss@corp.example'] }, { jobId: 'share-1', targetKey: 'share:0:email' });

    // The channel makes the Message-ID from the job and the target, on the sender's domain.
    const messageId = deterministicMessageId('share-1', 'share:0:email', 'reports@corp.example');
    expect(messageId).toMatch(/^<courier\.[0-9a-f]{32}@corp\.example>$/);
    expect(result).toEqual({ id: messageId, accepted: ['ada@corp.example', 'bob@corp.example', 'boss@corp.example'], rejected: [] });
    expect(sink.messages).toHaveLength(before + 1);
    const received = sink.messages.at(-1)!;
    expect(received.user).toBe('courier');
    expect(received.envelope).toEqual({ from: 'reports@corp.example', to: ['ada@corp.example', 'bob@corp.example', 'boss@corp.example'] });

    const mail = await parse(received);
    expect(mail.messageId).toBe(messageId);
    expect(mail.subject).toBe('Ada Lovelace shared “Sales by region” from Sales cockpit');
    expect(mail.from?.text).toBe('"Toucan reports" <reports@corp.example>');
    expect(addresses(mail.to)).toEqual(['ada@corp.example']);
    expect(addresses(mail.cc)).toEqual(['bob@corp.example']);
    expect(mail.bcc).toBeUndefined();
    expect(received.raw.toString('latin1')).not.toMatch(/boss@corp\.example/i);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');

    const html = String(mail.html);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('Before Monday, please');
    expect(html).toContain('Sales cockpit');
    expect(html).toContain('href="https://toucan.example.com/sales-cockpit?slide&#x3D;sales"');
    expect(html).toContain(`src="cid:${IMAGE_CID}"`);

    expect(mail.text).toContain('<script>alert(1)</script> & "quotes"');
    expect(mail.text).toContain('Open in Toucan: https://toucan.example.com/sales-cockpit?slide=sales');

    const [image, ...others] = mail.attachments;
    expect(others).toEqual([]);
    expect(image?.cid).toBe(IMAGE_CID);
    expect(image?.contentType).toBe('image/png');
    expect(image?.contentDisposition).toBe('inline');
    expect(image?.filename).toBe('Sales-by-region.png');
    expect(Buffer.compare(image!.content, capture.png)).toBe(0);
  });

  it('uses the target’s subject when it has one, as one header line', async () => {
    const message = composeMessage(shareInput(capture), { subject: 'Q3\r\nBcc: evil@x.example  numbers' });
    await sender().send(message, { to: ['ada@corp.example'], cc: [], bcc: [] }, { jobId: 'share-2', targetKey: 'share:0:email' });
    const mail = await parse(sink.messages.at(-1)!);
    expect(mail.subject).toBe('Q3 Bcc: evil@x.example numbers');
    expect(mail.bcc).toBeUndefined();
    expect(sink.messages.at(-1)!.envelope.to).toEqual(['ada@corp.example']);
  });

  it('attaches a report’s PDF and counts its encoded size as written', async () => {
    const message = composeMessage(reportInput(capture));
    await sender().send(message, { to: ['ada@corp.example'], cc: [], bcc: [] }, { jobId: 'report-1', targetKey: 'report:0:email' });
    const received = sink.messages.at(-1)!;
    const mail = await parse(received);
    expect(mail.subject).toBe('Report: Weekly sales (20 Nov 2026)');
    const [pdf, ...others] = mail.attachments;
    expect(others).toEqual([]);
    expect(pdf).toMatchObject({ filename: 'weekly-sales.pdf', contentType: 'application/pdf', contentDisposition: 'attachment' });
    expect(pdf!.content.subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.compare(pdf!.content, capture.pdf)).toBe(0);
    expect(String(mail.html)).toContain('The PDF is attached to this email.');

    // The rule's arithmetic matches the base64 body nodemailer wrote.
    const raw = received.raw.toString('latin1');
    const start = raw.indexOf('\r\n\r\n', raw.indexOf('Content-Type: application/pdf')) + 4;
    const body = raw.slice(start, raw.indexOf('\r\n--', start) + 2);
    expect(body.length).toBe(base64EncodedSize(capture.pdf.length));
  });

  it('replaces a PDF and an image over MAIL_MAX_ATTACHMENT_BYTES with signed links', async () => {
    const env = { MAIL_MAX_ATTACHMENT_BYTES: '10000', PUBLIC_URL: 'https://courier.example.com/', ARTIFACT_LINK_SECRET: SECRET };
    const input = reportInput(capture, { image: shareInput(capture).image });
    await sender(env).send(composeMessage(input), { to: ['ada@corp.example'], cc: [], bcc: [] }, { jobId: 'report-2', targetKey: 'report:0:email' });
    const mail = await parse(sink.messages.at(-1)!);
    expect(mail.attachments).toEqual([]);

    const links = [...String(mail.text).matchAll(/https:\/\/courier\.example\.com\/artifacts\/\S+/g)].map((m) => new URL(m[0]));
    expect(links.map((l) => l.pathname)).toEqual(['/artifacts/screenshot/2026-11-20/42.png', '/artifacts/pdf-report/2026-11-20/43.pdf']);
    const now = Math.floor(Date.now() / 1000);
    for (const link of links) {
      const path = decodeURIComponent(link.pathname.slice('/artifacts/'.length));
      expect(checkArtifactSignature(SECRET, path, link.searchParams.get('expires'), link.searchParams.get('signature'), now)).toBe('valid');
      expect(Number(link.searchParams.get('expires'))).toBeGreaterThan(now + 89 * 86400);
    }
    const html = String(mail.html);
    expect(html).toContain('This PDF is too large to attach to an email.');
    expect(html).toContain('is too large to include in this email');
    expect(html).not.toContain('cid:');
    expect(mail.text).toContain('the link works for 90 days');
  });

  it('attaches an oversized PDF anyway when PUBLIC_URL is not set, and warns', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    await sender({ MAIL_MAX_ATTACHMENT_BYTES: '10000' }, log).send(composeMessage(reportInput(capture)), { to: ['ada@corp.example'], cc: [], bcc: [] }, { jobId: 'report-3', targetKey: 'report:0:email' });
    const mail = await parse(sink.messages.at(-1)!);
    expect(mail.attachments.map((a) => a.filename)).toEqual(['weekly-sales.pdf']);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'warn');
    expect(warning).toMatchObject({ part: 'document', limit: 10000 });
    expect(String(warning?.msg)).toContain('PUBLIC_URL is not set');
  });

  it('sends only to the envelope it is given, with the same headers', async () => {
    await sender().send(composeMessage(shareInput(capture)), { to: ['ada@corp.example', 'bob@corp.example'], cc: [], bcc: [] }, { jobId: 'share-3', targetKey: 'share:0:email', envelopeTo: ['bob@corp.example'] });
    const received = sink.messages.at(-1)!;
    expect(received.envelope.to).toEqual(['bob@corp.example']);
    expect(addresses((await parse(received)).to)).toEqual(['ada@corp.example', 'bob@corp.example']);
  });

  it('reports a recipient the server refuses, and delivers to the others', async () => {
    sink.onRecipient = (address) => (address.startsWith('ghost@') ? { code: 550, message: 'No such user here' } : undefined);
    try {
      const result = await sender().send(composeMessage(shareInput(capture)), { to: ['ada@corp.example', 'ghost@corp.example'], cc: [], bcc: [] }, { jobId: 'share-4', targetKey: 'share:0:email' });
      expect(result.accepted).toEqual(['ada@corp.example']);
      expect(result.rejected).toEqual([{ address: 'ghost@corp.example', reason: 'recipient refused (550 No such user here)' }]);
      expect(sink.messages.at(-1)!.envelope.to).toEqual(['ada@corp.example']);

      const allRefused = await sender().send(composeMessage(shareInput(capture)), { to: ['ghost@corp.example'], cc: [], bcc: [] }, { jobId: 'share-5', targetKey: 'share:0:email' });
      expect(allRefused).toEqual({ id: deterministicMessageId('share-5', 'share:0:email', 'reports@corp.example'), accepted: [], rejected: [{ address: 'ghost@corp.example', reason: 'recipient refused (550 No such user here)' }] });
    } finally {
      sink.onRecipient = undefined;
    }
  });

  it('writes each received message as a .eml file when the sink has a directory', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBe(sink.messages.length);
    const first = sink.messages[0]!;
    expect(first.file).not.toBeNull();
    expect(Buffer.compare(readFileSync(first.file!), first.raw)).toBe(0);
  });
});

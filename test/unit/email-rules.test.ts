// The pure rules of the email channel: encoded sizes, which part travels how,
// Message-IDs, SMTP failures in words, and the templates' escaping.
import { describe, expect, it } from 'vitest';
import { base64EncodedSize, deterministicMessageId, describeSmtpError, planParts, senderAddress, smtpTransportOptions } from '../../src/delivery/email.js';
import { composeMessage, type MessageInput } from '../../src/delivery/messages.js';
import { emailView, loadEmailTemplates } from '../../src/delivery/templates.js';
import { formatDuration } from '../../src/i18n/format.js';
import { translator } from '../../src/i18n/translate.js';

/** base64 as a MIME body: lines of 76 characters, each ended by CRLF. */
function mimeBase64(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).map((line) => `${line}\r\n`).join('');
}

const at = new Date('2026-11-20T09:30:00Z');
const image = { data: Buffer.alloc(3000, 1), mime: 'image/png' as const, width: 1280, height: 618, artifactPath: 'screenshot/d/1.png' };
const document = { data: Buffer.alloc(6000, 2), mime: 'application/pdf' as const, filename: 'weekly.pdf', pages: 3, artifactPath: 'pdf-report/d/2.pdf' };
const sign = (path: string) => `https://courier.example.com/artifacts/${path}?signed`;

function message(overrides: Partial<MessageInput> = {}) {
  return composeMessage({ kind: 'share', title: 'Sales', at, ...overrides });
}

describe('base64EncodedSize', () => {
  it('equals the bytes of the part as written in the message', () => {
    for (const n of [0, 1, 2, 3, 56, 57, 58, 1000, 65_536, 1_000_001]) {
      expect(base64EncodedSize(n), `${n} bytes`).toBe(mimeBase64(Buffer.alloc(n, 7)).length);
    }
  });
});

describe('planParts', () => {
  it('keeps parts in the email while their encoded sizes fit the budget together', () => {
    const plan = planParts(message({ image, document }), base64EncodedSize(6000) + base64EncodedSize(3000), sign);
    expect(plan.document).toEqual({ how: 'attached', bytes: 6000 });
    expect(plan.image).toEqual({ how: 'inline', bytes: 3000 });
  });

  it('turns a part that does not fit into a signed link, the document first', () => {
    const plan = planParts(message({ image, document }), base64EncodedSize(6000), sign);
    expect(plan.document?.how).toBe('attached');
    expect(plan.image).toEqual({ how: 'link', bytes: 3000, url: sign('screenshot/d/1.png') });
  });

  it('counts the encoded size, not the file size', () => {
    const plan = planParts(message({ document }), 6000, sign);
    expect(plan.document?.how).toBe('link');
  });

  it('attaches anyway, and says so, when no link can be made', () => {
    const noLink = planParts(message({ document }), 100, null);
    expect(noLink.document?.how).toBe('attached');
    expect(noLink.oversizedWithoutLink).toEqual([{ part: 'document', encodedBytes: base64EncodedSize(6000) }]);
    const notStored = planParts(message({ document: { ...document, artifactPath: null } }), 100, sign);
    expect(notStored.document?.how).toBe('attached');
  });
});

describe('names and ids', () => {
  it('makes the same Message-ID for the same job and target, on MAIL_FROM’s domain', () => {
    const id = deterministicMessageId('42', 'share:0:email', 'Toucan <reports@corp.example>');
    expect(id).toMatch(/^<courier\.[0-9a-f]{32}@corp\.example>$/);
    expect(deterministicMessageId('42', 'share:0:email', 'reports@corp.example')).toBe(id);
    expect(deterministicMessageId('42', 'share:1:email', 'reports@corp.example')).not.toBe(id);
    expect(deterministicMessageId('43', 'share:0:email', 'reports@corp.example')).not.toBe(id);
  });

  it('reads the bare sender address', () => {
    expect(senderAddress('"Toucan, reports" <reports@corp.example>')).toBe('reports@corp.example');
  });

  it('keeps SMTP_URL query options (one connection per message, so a send can be cut off alone)', () => {
    const options = smtpTransportOptions('smtp://u%40corp:p%3Aw@mail.corp:587?requireTLS=true&socketTimeout=5000');
    expect(options).toMatchObject({ host: 'mail.corp', port: 587, secure: false, requireTLS: true, socketTimeout: 5000, auth: { user: 'u@corp', pass: 'p:w' } });
    expect(smtpTransportOptions('smtps://mail.corp').secure).toBe(true);
  });
});

describe('describeSmtpError', () => {
  it('names the kinds an operator must tell apart', () => {
    expect(describeSmtpError(Object.assign(new Error('Invalid login: 535 Invalid username or password'), { code: 'EAUTH', responseCode: 535, response: '535 Invalid username or password' }))).toMatchObject({
      kind: 'auth',
      reason: 'authentication failed (535 Invalid username or password)',
    });
    expect(describeSmtpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' })).kind).toBe('connection');
    expect(describeSmtpError(Object.assign(new Error('Data command failed: 552 too big'), { code: 'EMESSAGE', responseCode: 552, response: '552 too big' })).hint).toMatch(/PUBLIC_URL/);
    expect(describeSmtpError(Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 451, response: '451 try later' })).kind).toBe('throttled');
    expect(describeSmtpError(Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 550, response: '550 no such user' })).reason).toBe('recipient refused (550 no such user)');
    expect(describeSmtpError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' })).kind).toBe('timeout');
    expect(describeSmtpError(Object.assign(new Error('getaddrinfo ENOTFOUND mail.nowhere'), { code: 'EDNS' })).kind).toBe('dns');
    expect(describeSmtpError(new Error('write EPROTO 1234:error:0A00010B:SSL routines:ssl3_get_record:wrong version number')).kind).toBe('tls');
  });
});

describe('email templates', () => {
  const templates = loadEmailTemplates();
  const parts = { image: { how: 'inline' as const, bytes: 3000 }, document: null, imageCid: 'story-image@courier', linkTtlSeconds: 7 * 86400 };

  it('escapes people’s text in the HTML and keeps it as typed in the text part', () => {
    const view = emailView(
      message({ image, sharedBy: 'Eve <eve@x>', comment: { author: 'Eve', text: 'line 1\n<script>alert(1)</script> & "q"' }, link: 'https://toucan.example.com/?a=1&b=2' }),
      parts,
    );
    const { html, text } = templates.render(view);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('line 1<br>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
    expect(html).toContain('Eve &lt;eve@x&gt; shared');
    expect(html).toContain('href="https://toucan.example.com/?a&#x3D;1&amp;b&#x3D;2"');
    expect(html).toContain('src="cid:story-image@courier"');
    expect(text).toContain('  <script>alert(1)</script> & "q"');
    expect(text).toContain('Open in Toucan: https://toucan.example.com/?a=1&b=2');
    expect(text).not.toMatch(/\n\n\n/);
  });

  it('shows the image at most 536 px wide, keeping its proportions', () => {
    expect(emailView(message({ image }), parts).image).toEqual({ cid: 'story-image@courier', width: 536, height: 259, alt: 'Chart: Sales' });
    expect(emailView(message({ image: { ...image, width: 400, height: 200 } }), parts).image?.width).toBe(400);
  });

  it('says where a part went when it travels as a link', () => {
    const view = emailView(message({ document }), { ...parts, document: { how: 'link', bytes: 6000, url: 'https://c.example/a?x=1' } });
    const { html, text } = templates.render(view);
    expect(html).toContain('too large to attach');
    expect(html).toContain('href="https://c.example/a?x&#x3D;1"');
    expect(text).toContain('https://c.example/a?x=1');
    expect(text).toContain('works for 7 days');
    expect(formatDuration(3600, translator('en').t)).toBe('1 hour');
    expect(formatDuration(5400, translator('fr-FR').t)).toBe('2 heures');
  });

  it('never turns a non-http link into an action', () => {
    const view = emailView(message({ link: 'javascript:alert(1)' }), parts);
    expect(view.action).toBeNull();
  });
});

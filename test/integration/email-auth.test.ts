// SMTP authentication and reachability over real SMTP on loopback: a wrong
// password is a DELIVERY_FAILED that says so (and never shows the password),
// and doctor's checkSmtp connects and authenticates without sending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { createDeliveryService } from '../../src/delivery/deliver.js';
import { checkSmtp, createEmailSender } from '../../src/delivery/email.js';
import { createReceiptLedger } from '../../src/delivery/ledger.js';
import { composeMessage } from '../../src/delivery/messages.js';
import { CourierError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../setup/redis.js';
import { testConfig } from './email-fixtures.js';
import { redisScope } from '../helpers/scope.js';

const AUTH = { user: 'courier', pass: 'right-horse-battery' };
const WRONG = { user: 'courier', pass: 'wrong-Pa55word' };
const scope = redisScope('email-auth');
const { prefix } = scope;
const redis = scope.connect();
let sink: SmtpSink;

const input = { kind: 'share' as const, title: 'Sales by region', sharedBy: 'Ada', at: new Date('2026-11-20T09:30:00Z') };

beforeAll(async () => {
  sink = await SmtpSink.start({ auth: AUTH });
});

afterAll(async () => {
  await sink.stop();
  await scope.close();
});

describe('SMTP authentication', () => {
  it('fails a send with a wrong password as DELIVERY_FAILED naming an authentication failure', async () => {
    const sender = createEmailSender({ config: testConfig({ SMTP_URL: sink.url(WRONG) }), log: createLogger('silent') });
    try {
      const error = await sender.send(composeMessage(input), { to: ['ada@corp.example'], cc: [], bcc: [] }, { jobId: 'auth-1', targetKey: 'auth:0:email' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CourierError);
      expect((error as CourierError).code).toBe('DELIVERY_FAILED');
      expect((error as CourierError).message).toMatch(/^DELIVERY_FAILED: authentication failed \(535 .*Invalid username or password\); check the user and password in SMTP_URL/);
      expect((error as CourierError).message).not.toContain(WRONG.pass);
    } finally {
      sender.close();
    }
    expect(sink.messages).toHaveLength(0);
  });

  it('reports it through the orchestrator with each recipient named, and logs no secret', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const config = testConfig({ SMTP_URL: sink.url(WRONG) });
    const email = createEmailSender({ config, log });
    const service = createDeliveryService({ config, log, ledger: createReceiptLedger({ redis, prefix }), email, teams: null });
    try {
      const error = await service
        .deliver({
          jobId: 'auth-job',
          input,
          targets: [
            { type: 'email', to: ['ada@corp.example', 'bob@corp.example'], cc: [], bcc: [] },
            { type: 'email', to: ['cat@corp.example'], cc: [], bcc: [] },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CourierError);
      expect((error as CourierError).retried).toBe(true);
      expect((error as CourierError).message).toMatch(
        /^DELIVERY_FAILED: 3 recipients not served: deliver\.0 email to ada@corp\.example, bob@corp\.example and deliver\.1 email to cat@corp\.example: authentication failed \(535 [^)]*\); check the user and password in SMTP_URL.*\. Recipients already served/,
      );
    } finally {
      await service.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join('\n');
    expect(logged).not.toContain(WRONG.pass);
    expect(logged).toContain('"status":"failed"');
    expect(sink.messages).toHaveLength(0);
  });
});

describe('checkSmtp (doctor)', () => {
  it('connects and authenticates without sending', async () => {
    const result = await checkSmtp({ smtpUrl: sink.url() });
    expect(result).toEqual({ ok: true, detail: `smtp://courier:***@127.0.0.1:${sink.port}: connected and authenticated as courier` });
    expect(sink.messages).toHaveLength(0);
  });

  it('explains a wrong password without showing it', async () => {
    const result = await checkSmtp({ smtpUrl: sink.url(WRONG) });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/authentication failed \(535 /);
    expect(result.hint).toMatch(/^check the user and password in SMTP_URL/);
    expect(result.detail).not.toContain(WRONG.pass);
  });

  it('explains a port where nothing listens', async () => {
    const result = await checkSmtp({ smtpUrl: `smtp://127.0.0.1:${await freePort()}` });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/connection refused \(connect ECONNREFUSED /);
    expect(result.hint).toMatch(/^nothing listens at the host and port of SMTP_URL/);
  });

  it('explains TLS spoken to a port that does not expect it', async () => {
    const result = await checkSmtp({ smtpUrl: `smtps://127.0.0.1:${sink.port}` });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/TLS failed \(.*wrong version number.*\)$/);
    expect(result.hint).toMatch(/^use smtps:\/\/ for port 465 and smtp:\/\/ \(STARTTLS\) for 587/);
  });

  it('says when email is not configured', async () => {
    expect(await checkSmtp({ smtpUrl: null })).toEqual({ ok: true, detail: 'not configured (SMTP_URL is empty): email delivery is off' });
  });
});

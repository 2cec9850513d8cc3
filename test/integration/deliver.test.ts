// The delivery orchestrator with real parts only: the real EmailSender
// (nodemailer) against smtp-sink on loopback, the receipt ledger in a real
// Redis. Exactly once: whatever fails, a retry of the same job serves only
// the recipients not yet served, and every mailbox ends with one message.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmailTarget, Target } from '../../src/contracts/common.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { createDeliveryService, type DeliveryChannel, type DeliveryOutcome } from '../../src/delivery/deliver.js';
import { createEmailSender } from '../../src/delivery/email.js';
import { createReceiptLedger, receiptKey } from '../../src/delivery/ledger.js';
import type { MessageInput } from '../../src/delivery/messages.js';
import type { DeliveryService } from '../../src/delivery/types.js';
import { CourierError } from '../../src/errors.js';
import { captureStory, parse, quietLogger, shareInput, testConfig } from './email-fixtures.js';
import { rejection } from '../helpers/rejection.js';
import { redisScope } from '../helpers/scope.js';

const scope = redisScope('deliver');
const { prefix } = scope;
const redis = scope.connect();
let sink: SmtpSink;
let input: MessageInput;
const services: DeliveryService[] = [];
let jobCounter = 0;

function email(to: string[], extra: Partial<EmailTarget> = {}): EmailTarget {
  return { type: 'email', to, cc: [], bcc: [], ...extra };
}

function service(env: Record<string, string> = {}, onDelivery?: (channel: DeliveryChannel, outcome: DeliveryOutcome) => void): DeliveryService {
  const config = testConfig({ SMTP_URL: sink.url(), QUEUE_PREFIX: prefix, ...env });
  const log = quietLogger();
  const created = createDeliveryService({
    config,
    log,
    ledger: createReceiptLedger({ redis, prefix: config.queuePrefix }),
    email: createEmailSender({ config, log }),
    teams: null,
    onDelivery,
  });
  services.push(created);
  return created;
}

function newJobId(): string {
  jobCounter += 1;
  return `job-${jobCounter}`;
}

const failure = (promise: Promise<unknown>) => rejection(promise, CourierError);

beforeAll(async () => {
  sink = await SmtpSink.start();
  input = shareInput(await captureStory('sales'));
});

afterEach(async () => {
  sink.onRecipient = undefined;
  await sink.start();
});

afterAll(async () => {
  for (const s of services) await s.close();
  await sink.stop();
  await scope.close();
});

describe('checks before the first send', () => {
  it('refuses recipients outside RECIPIENT_DOMAINS, naming each, and sends nothing at all', async () => {
    const before = sink.messages.length;
    const targets: Target[] = [
      email(['ada@corp.example'], { cc: ['Bob@Partner.example'] }),
      email(['carol@corp.example'], { bcc: ['eve@gmail.example'] }),
    ];
    const error = await failure(service({ RECIPIENT_DOMAINS: 'corp.example, sub.corp.example' }).deliver({ jobId: newJobId(), targets, input }));
    expect(error.code).toBe('INVALID_JOB');
    expect(error.retried).toBe(false);
    expect(error.message).toBe(
      'INVALID_JOB: nothing was sent: deliver.0 (email): Bob@Partner.example is outside RECIPIENT_DOMAINS (corp.example, sub.corp.example); deliver.1 (email): eve@gmail.example is outside RECIPIENT_DOMAINS (corp.example, sub.corp.example)',
    );
    expect(sink.messages.length).toBe(before);
  });

  it('accepts recipients inside RECIPIENT_DOMAINS whatever their case', async () => {
    const reports = await service({ RECIPIENT_DOMAINS: 'corp.example' }).deliver({ jobId: newJobId(), targets: [email(['Ada@CORP.example'])], input });
    expect(reports).toMatchObject([{ type: 'email', to: ['Ada@CORP.example'], status: 'sent' }]);
  });

  it('refuses a Teams target when Teams is not configured, before the email target is sent', async () => {
    const before = sink.messages.length;
    const targets: Target[] = [email(['ada@corp.example']), { type: 'teams', serviceUrl: 'https://smba.trafficmanager.net/emea/', channelId: '19:abc@thread.tacv2' }];
    const error = await failure(service().deliver({ jobId: newJobId(), targets, input }));
    expect(error.message).toBe('INVALID_JOB: nothing was sent: deliver.1 (teams): Microsoft Teams is not configured on this worker (MICROSOFT_APP_ID is not set)');
    expect(sink.messages.length).toBe(before);
  });

  it('refuses a Teams service URL outside TEAMS_SERVICE_URLS with FORBIDDEN_URL and sends nothing', async () => {
    const before = sink.messages.length;
    const targets: Target[] = [email(['ada@corp.example']), { type: 'teams', serviceUrl: 'https://smba.trafficmanager.net.evil.example/', channelId: '19:abc@thread.tacv2' }];
    const error = await failure(service().deliver({ jobId: newJobId(), targets, input }));
    expect(error.code).toBe('FORBIDDEN_URL');
    expect(error.message).toContain('deliver.1 (teams): the Teams service URL "https://smba.trafficmanager.net.evil.example/" is not allowed');
    expect(sink.messages.length).toBe(before);
  });

  it('refuses an email target when SMTP_URL is not set', async () => {
    const config = testConfig({});
    const noEmail = createDeliveryService({ config, log: quietLogger(), ledger: createReceiptLedger({ redis, prefix }), email: null, teams: null });
    const error = await failure(noEmail.deliver({ jobId: newJobId(), targets: [email(['ada@corp.example'])], input }));
    expect(error.message).toBe('INVALID_JOB: nothing was sent: deliver.0 (email): email is not configured on this worker (SMTP_URL is not set)');
  });
});

describe('exactly once across retries', () => {
  it('serves a throttled target on retry, and does not send the served one again', async () => {
    const jobId = newJobId();
    const outcomes: string[] = [];
    const courier = service({}, (channel, outcome) => outcomes.push(`${channel}:${outcome}`));
    const targets = [email(['t1-ada@corp.example']), email(['t2-bob@corp.example'], { subject: 'For Bob' })];

    // Attempt 1: the server defers Bob (as a throttling server does).
    sink.onRecipient = (address) => (address.startsWith('t2-bob@') ? { code: 451, message: '4.7.1 Too many messages, slow down' } : undefined);
    const error = await failure(courier.deliver({ jobId, targets, input }));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.message).toBe(
      'DELIVERY_FAILED: 1 recipient not served: deliver.1 email to t2-bob@corp.example: throttled or deferred by the server (451 4.7.1 Too many messages, slow down). Recipients already served are not sent to again when the job is retried.',
    );
    expect(sink.messagesFor('t1-ada@corp.example')).toHaveLength(1);
    expect(sink.messagesFor('t2-bob@corp.example')).toHaveLength(0);

    // Attempt 2: the server accepts again.
    sink.onRecipient = undefined;
    const reports = await courier.deliver({ jobId, targets, input });
    const adaId = (await parse(sink.messagesFor('t1-ada@corp.example')[0]!)).messageId;
    expect(reports).toEqual([
      { type: 'email', to: ['t1-ada@corp.example'], status: 'already-sent', id: adaId },
      { type: 'email', to: ['t2-bob@corp.example'], status: 'sent', id: expect.stringMatching(/^<courier\.[0-9a-f]{32}@corp\.example>$/) as string },
    ]);

    // Attempt 3 (say, a stalled job picked up again): nothing new is sent.
    const again = await courier.deliver({ jobId, targets, input });
    expect(again.map((r) => r.status)).toEqual(['already-sent', 'already-sent']);

    expect(sink.messagesFor('t1-ada@corp.example')).toHaveLength(1);
    expect(sink.messagesFor('t2-bob@corp.example')).toHaveLength(1);
    expect((await parse(sink.messagesFor('t2-bob@corp.example')[0]!)).subject).toBe('For Bob');
    expect(outcomes).toEqual(['email:sent', 'email:failed', 'email:already-sent', 'email:sent', 'email:already-sent', 'email:already-sent']);
  });

  it('survives an SMTP outage: connection refused names every recipient, the retry after recovery sends each once', async () => {
    const jobId = newJobId();
    const courier = service();
    const targets = [email(['o1-ada@corp.example'], { cc: ['o1-cat@corp.example'] }), email(['o2-bob@corp.example'])];

    await sink.stop();
    const error = await failure(courier.deliver({ jobId, targets, input }));
    expect(error.message).toMatch(
      /^DELIVERY_FAILED: 3 recipients not served: deliver\.0 email to o1-ada@corp\.example, o1-cat@corp\.example and deliver\.1 email to o2-bob@corp\.example: connection refused \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); nothing listens at the host and port of SMTP_URL/,
    );
    expect(await redis.exists(receiptKey(prefix, jobId))).toBe(0);

    await sink.start();
    const reports = await courier.deliver({ jobId, targets, input });
    expect(reports.map((r) => [r.status, r.type === 'email' ? r.to : []])).toEqual([
      ['sent', ['o1-ada@corp.example', 'o1-cat@corp.example']],
      ['sent', ['o2-bob@corp.example']],
    ]);
    for (const address of ['o1-ada@corp.example', 'o1-cat@corp.example', 'o2-bob@corp.example']) expect(sink.messagesFor(address)).toHaveLength(1);
  });

  it('tries every target when the first one fails', async () => {
    const jobId = newJobId();
    sink.onRecipient = (address) => (address.startsWith('f1-') ? { code: 550, message: '5.1.1 No such user' } : undefined);
    const error = await failure(service().deliver({ jobId, targets: [email(['f1-ghost@corp.example']), email(['f2-ada@corp.example'])], input }));
    expect(error.message).toContain('deliver.0 email to f1-ghost@corp.example: recipient refused (550 5.1.1 No such user)');
    expect(sink.messagesFor('f2-ada@corp.example')).toHaveLength(1);
  });

  it('on a retry, sends the same message (same headers, same Message-ID) only to the recipients not yet served', async () => {
    const jobId = newJobId();
    const courier = service();
    const target = email(['p-ada@corp.example', 'p-bob@corp.example'], { bcc: ['p-boss@corp.example'] });

    sink.onRecipient = (address) => (address.startsWith('p-bob@') ? { code: 452, message: '4.2.2 Mailbox full' } : undefined);
    const error = await failure(courier.deliver({ jobId, targets: [target], input }));
    expect(error.message).toContain('1 recipient not served: deliver.0 email to p-bob@corp.example: throttled or deferred by the server (452 4.2.2 Mailbox full)');

    sink.onRecipient = undefined;
    const reports = await courier.deliver({ jobId, targets: [target], input });
    expect(reports.map((r) => (r.type === 'email' ? [r.status, r.to] : []))).toEqual([
      ['already-sent', ['p-ada@corp.example', 'p-boss@corp.example']],
      ['sent', ['p-bob@corp.example']],
    ]);
    expect(reports[0]?.id).toBe(reports[1]?.id);

    const [first] = sink.messagesFor('p-ada@corp.example');
    const [second] = sink.messagesFor('p-bob@corp.example');
    expect(first?.envelope.to).toEqual(['p-ada@corp.example', 'p-boss@corp.example']);
    expect(second?.envelope.to).toEqual(['p-bob@corp.example']);
    const [a, b] = await Promise.all([parse(first!), parse(second!)]);
    expect(b.messageId).toBe(a.messageId);
    expect(b.to).toEqual(a.to);
    expect(b.subject).toBe(a.subject);
    expect(sink.messagesFor('p-boss@corp.example')).toHaveLength(1);
  });

  it('keeps receipts of different jobs and of different message kinds apart', async () => {
    const courier = service();
    const jobId = newJobId();
    await courier.deliver({ jobId, targets: [email(['k-ada@corp.example'])], input });
    await courier.deliver({ jobId: newJobId(), targets: [email(['k-ada@corp.example'])], input });
    const alert = { ...input, kind: 'alert' as const, alert: { name: 'Churn', value: 142, operator: '>' as const, threshold: 100 } };
    const reports = await courier.deliver({ jobId, targets: [email(['k-ada@corp.example'])], input: alert });
    expect(reports[0]?.status).toBe('sent');
    expect(sink.messagesFor('k-ada@corp.example')).toHaveLength(3);
  });

  it('sends one copy to an address listed twice in a target', async () => {
    const reports = await service().deliver({ jobId: newJobId(), targets: [email(['d-ada@corp.example'], { cc: ['D-Ada@corp.example'] })], input });
    expect(reports).toMatchObject([{ status: 'sent', to: ['d-ada@corp.example'] }]);
    expect(sink.messagesFor('d-ada@corp.example')).toHaveLength(1);
  });

  it('returns no reports for a job without targets', async () => {
    expect(await service().deliver({ jobId: newJobId(), targets: [], input })).toEqual([]);
  });
});

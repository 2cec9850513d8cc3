// Nothing of an ended attempt runs (issue 26): no promise of an attempt that
// has stopped or ended resolves into a send or a receipt write. Real parts:
// the real EmailSender (nodemailer) against smtp-sink on loopback, the
// receipt ledger and its claims in the test Redis; the attempt is the one
// queue/worker.ts makes (startAttempt), stopped by hand instead of by a clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { createArtifactStore } from '../../src/artifacts/store.js';
import { PageSlots } from '../../src/browser/page-slots.js';
import type { EmailTarget } from '../../src/contracts/common.js';
import { startAttempt } from '../../src/deadline.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { createDeliveryService } from '../../src/delivery/deliver.js';
import { createEmailSender } from '../../src/delivery/email.js';
import { createReceiptLedger, receiptKey } from '../../src/delivery/ledger.js';
import type { MessageInput } from '../../src/delivery/messages.js';
import type { DeliveryService } from '../../src/delivery/types.js';
import { CourierError } from '../../src/errors.js';
import { rejection } from '../helpers/rejection.js';
import { redisScope, tempDir } from '../helpers/scope.js';
import { quietLogger, testConfig } from './email-fixtures.js';

const scope = redisScope('attempt-end');
const redis = scope.connect();
let sink: SmtpSink;
let service: DeliveryService;
let jobs = 0;
const input: MessageInput = { kind: 'share', title: 'Sales by region', link: 'https://front.example/demo', at: new Date('2026-12-08T01:00:00Z') };
const to = (address: string): EmailTarget => ({ type: 'email', to: [address], cc: [], bcc: [] });
const timeout = () => new CourierError('JOB_TIMEOUT', 'the job did not finish within JOB_TIMEOUT_MS (test)');

/** Every field of the job's receipts hash: receipts and claims alike. */
async function ledgerOf(jobId: string): Promise<Record<string, string>> {
  return redis.hgetall(receiptKey(scope.prefix, jobId));
}

beforeAll(async () => {
  sink = await SmtpSink.start();
  const config = testConfig({ SMTP_URL: sink.url(), QUEUE_PREFIX: scope.prefix, SEND_TIMEOUT_MS: '60000' });
  const log = quietLogger();
  service = createDeliveryService({ config, log, ledger: createReceiptLedger({ redis, prefix: scope.prefix }), email: createEmailSender({ config, log, links: null }), teams: null });
});

afterAll(async () => {
  await service?.close();
  await sink?.stop();
  await scope.close();
});

describe('an attempt that has stopped or ended', () => {
  it('a delivery reached after the attempt stopped (a render that ignored its signal) sends nothing and writes nothing', async () => {
    const stop = new AbortController();
    const attempt = startAttempt({ stop: stop.signal, graceMs: 60_000 });
    let resume!: () => void;
    const lateRender = new Promise<void>((resolve) => (resume = resolve));
    const jobId = `late-${++jobs}`;
    // The processor: a render that does not listen to the signal, then the delivery.
    const processor = lateRender.then(() => service.deliver({ jobId, targets: [to('late@corp.example')], input, context: { signal: attempt.stop, attempt } }));
    const ended = attempt.run(processor);
    stop.abort(timeout());
    // No delivery in flight: the attempt ends at once, with the deadline's reason.
    expect(await rejection(ended, CourierError)).toMatchObject({ code: 'JOB_TIMEOUT' });
    attempt.end();
    resume();
    expect(await rejection(processor, CourierError)).toMatchObject({ code: 'JOB_TIMEOUT' });
    expect(sink.messagesFor('late@corp.example')).toHaveLength(0);
    expect(await ledgerOf(jobId)).toEqual({});
  });

  it('a send on the wire at the deadline holds the attempt open; when the grace runs out first, it is cut off and no receipt is ever written', async () => {
    const stop = new AbortController();
    const attempt = startAttempt({ stop: stop.signal, graceMs: 300, endedReason: () => new CourierError('JOB_TIMEOUT', 'the attempt ended (test)') });
    const jobId = `held-${++jobs}`;
    let reached!: () => void;
    const atData = new Promise<void>((resolve) => (reached = resolve));
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    sink.beforeReply = () => {
      reached();
      return held;
    };
    try {
      const delivery = service.deliver({ jobId, targets: [to('held@corp.example'), to('later@corp.example')], input, context: { signal: attempt.stop, attempt } });
      const run = attempt.run(delivery);
      await atData;
      // The server has the message and holds its 250: the deadline comes now.
      expect(attempt.inFlight).toBe(1);
      stop.abort(timeout());
      expect(Object.keys(await ledgerOf(jobId))).toEqual(['claim|share:0:email|held@corp.example']);
      // The grace runs out before the answer: the attempt ends, and its send is cut off with it.
      expect(await rejection(run, CourierError)).toMatchObject({ code: 'JOB_TIMEOUT', detail: 'the attempt ended (test)' });
      const failed = await rejection(delivery, CourierError);
      expect(failed.code).toBe('JOB_TIMEOUT');
      expect(failed.detail).toMatch(/held@corp\.example: outcome unknown: .*SEND_TIMEOUT_MS/);
      expect(failed.detail).toMatch(/later@corp\.example: not attempted: the attempt stopped before this target/);
      // The server answers only now, to a client that is gone.
      answer();
      // Every promise of the attempt has settled: not one became a receipt or another send.
      expect(sink.messagesFor('held@corp.example')).toHaveLength(1);
      expect(sink.messagesFor('later@corp.example')).toHaveLength(0);
      const fields = await ledgerOf(jobId);
      expect(Object.keys(fields)).toEqual(['claim|share:0:email|held@corp.example']);
      // The claim is left to run out (the outcome is unknown), so a retry waits it out before sending again.
      expect(fields['claim|share:0:email|held@corp.example']).toMatch(/^\d+\|[0-9a-f-]{36}\|/);
    } finally {
      sink.beforeReply = undefined;
    }
  });

  it('a send that finishes within the grace writes its receipt, and only then does the attempt end; a retry then skips the recipient', async () => {
    const stop = new AbortController();
    const attempt = startAttempt({ stop: stop.signal, graceMs: 60_000 });
    const jobId = `grace-${++jobs}`;
    let reached!: () => void;
    const atData = new Promise<void>((resolve) => (reached = resolve));
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    sink.beforeReply = () => {
      reached();
      return held;
    };
    try {
      const run = attempt.run(service.deliver({ jobId, targets: [to('grace@corp.example')], input, context: { signal: attempt.stop, attempt } }));
      await atData;
      stop.abort(timeout());
      answer();
      // The only target was on the wire at the deadline and finished within the grace: served, and said so.
      const reports = await run;
      expect(reports).toEqual([expect.objectContaining({ type: 'email', to: ['grace@corp.example'], status: 'sent' })]);
      expect(Object.keys(await ledgerOf(jobId))).toEqual(['share:0:email|grace@corp.example']);
      attempt.end();
      // The retry (a new attempt) finds the receipt.
      const retry = startAttempt({ stop: new AbortController().signal, graceMs: 60_000 });
      await expect(service.deliver({ jobId, targets: [to('grace@corp.example')], input, context: { attempt: retry } })).resolves.toEqual([
        expect.objectContaining({ status: 'already-sent' }),
      ]);
      expect(sink.messagesFor('grace@corp.example')).toHaveLength(1);
    } finally {
      sink.beforeReply = undefined;
    }
  });

  it('a retry waits out the live claim of an earlier attempt instead of sending beside it, and reports why when it must stop first', async () => {
    const jobId = `claimed-${++jobs}`;
    const ledger = createReceiptLedger({ redis, prefix: scope.prefix });
    // An earlier attempt, still alive somewhere, holds the recipient for a minute.
    await ledger.claim(jobId, 'share:0:email', ['busy@corp.example'], { token: 'earlier', leaseMs: 60_000, holder: 'attempt 1 of screenshot/7 on elsewhere:1' });
    const stop = new AbortController();
    const attempt = startAttempt({ stop: stop.signal, graceMs: 60_000 });
    const delivery = service.deliver({ jobId, targets: [to('busy@corp.example')], input, context: { signal: attempt.stop, attempt } });
    // It is waiting (in flight, polling the claim) when its own deadline comes.
    await expect.poll(() => attempt.inFlight).toBe(1);
    stop.abort(timeout());
    const failed = await rejection(delivery, CourierError);
    expect(failed.detail).toMatch(/busy@corp\.example: an earlier attempt \(attempt 1 of screenshot\/7 on elsewhere:1\) may still be delivering to it/);
    expect(sink.messagesFor('busy@corp.example')).toHaveLength(0);
    // Once the earlier attempt settles (its receipt written), a retry reports it already sent.
    await ledger.settle(jobId, 'share:0:email', ['busy@corp.example'], 'earlier', '<earlier@corp.example>');
    const retry = startAttempt({ stop: new AbortController().signal, graceMs: 60_000 });
    await expect(service.deliver({ jobId, targets: [to('busy@corp.example')], input, context: { attempt: retry } })).resolves.toEqual([
      expect.objectContaining({ status: 'already-sent', id: '<earlier@corp.example>' }),
    ]);
    expect(Object.keys(await ledgerOf(jobId))).toEqual(['share:0:email|busy@corp.example']);
  });

  it('writes no artifact and takes no page slot once stopped', async () => {
    const dir = tempDir('attempt-end');
    try {
      const store = createArtifactStore({ dir: dir.path });
      const stop = new AbortController();
      stop.abort(timeout());
      const capture = { format: 'png' as const, mime: 'image/png' as const, data: Buffer.from('png'), width: 1, height: 1, pages: null };
      await expect(store.save({ queue: 'screenshot', jobId: 'stopped', at: new Date(), capture, signal: stop.signal })).rejects.toMatchObject({ code: 'JOB_TIMEOUT' });
      expect(existsSync(dir.path) ? readdirSync(dir.path, { recursive: true }) : []).toEqual([]);
      // A free slot is not taken by a job that has already stopped.
      const slots = new PageSlots(2);
      await expect(slots.acquire(stop.signal)).rejects.toMatchObject({ code: 'JOB_TIMEOUT' });
      expect(slots.used).toBe(0);
    } finally {
      dir.remove();
    }
  });
});

// The limits of exactly-once, shown with real parts: a private redis-server
// that the test kills at chosen moments, the real EmailSender and smtp-sink.
//  - Redis down before a send: nothing is sent (the ledger cannot be read).
//  - Redis restarting between the SMTP accept and the receipt write: the
//    write waits for it, so a retry sends nothing again.
//  - Redis away longer than that patience (the one window left): the retry
//    sends again, and the duplicate carries the same Message-ID, so mail
//    clients show one message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { createDeliveryService } from '../../src/delivery/deliver.js';
import { createEmailSender } from '../../src/delivery/email.js';
import { createReceiptLedger } from '../../src/delivery/ledger.js';
import type { MessageInput } from '../../src/delivery/messages.js';
import type { DeliveryService } from '../../src/delivery/types.js';
import { CourierError } from '../../src/errors.js';
import { RedisServer } from '../setup/redis.js';
import { parse, quietLogger, testConfig } from './email-fixtures.js';
import { rejection } from '../helpers/rejection.js';
import { createRedisClient, type RedisClient } from '../../src/redis/connection.js';

let redisServer: RedisServer;
let redis: RedisClient;
let sink: SmtpSink;
let courier: DeliveryService;
/** With the default patience (RECEIPT_WRITE_PATIENCE_MS). */
let patient: DeliveryService;

const input: MessageInput = { kind: 'share', title: 'Sales by region', sharedBy: 'Ada', at: new Date('2026-11-20T09:30:00Z') };
const target = { type: 'email' as const, to: ['ada@corp.example'], cc: [], bcc: [] };

const failure = (promise: Promise<unknown>) => rejection(promise, CourierError);

beforeAll(async () => {
  redisServer = await RedisServer.start();
  // Fail commands quickly while the server is down, and keep reconnecting.
  redis = createRedisClient({ redisUrl: redisServer.url });
  redis.on('error', () => undefined);
  sink = await SmtpSink.start();
  const config = testConfig({ SMTP_URL: sink.url() });
  const log = quietLogger();
  // A short patience for the receipt write: these tests keep Redis down past it.
  courier = createDeliveryService({ config, log, ledger: createReceiptLedger({ redis, prefix: 'courier-window' }), email: createEmailSender({ config, log }), teams: null, receiptWritePatienceMs: 1000 });
  patient = createDeliveryService({ config, log, ledger: createReceiptLedger({ redis, prefix: 'courier-window' }), email: createEmailSender({ config, log }), teams: null });
});

afterAll(async () => {
  await courier.close();
  await patient.close();
  redis.disconnect();
  await sink.stop();
  await redisServer.dispose();
});

describe('the edges of exactly-once', () => {
  it('sends nothing while the receipt ledger cannot be read', async () => {
    await redisServer.stop();
    try {
      const error = await failure(courier.deliver({ jobId: 'down-1', targets: [target], input }));
      expect(error.code).toBe('DELIVERY_FAILED');
      expect(error.message).toMatch(/deliver\.0 email to ada@corp\.example: the receipt ledger in Redis cannot be read \(.+\), so nothing was sent to this target/);
      expect(sink.messages).toHaveLength(0);
    } finally {
      await redisServer.start();
    }
  });

  it('a Redis restart between the SMTP accept and the receipt write costs no duplicate: the write waits for Redis', async () => {
    // Redis dies while the SMTP server is accepting the recipient, and is back 1.5 s later.
    let restarted: Promise<void> = Promise.resolve();
    sink.onRecipient = async () => {
      await redisServer.stop();
      restarted = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => redisServer.start());
      return undefined;
    };
    try {
      const reports = await patient.deliver({ jobId: 'restart-1', targets: [{ ...target, to: ['bo@corp.example'] }], input });
      expect(reports).toMatchObject([{ type: 'email', to: ['bo@corp.example'], status: 'sent' }]);
    } finally {
      sink.onRecipient = undefined;
      await restarted;
    }
    expect(sink.messagesFor('bo@corp.example')).toHaveLength(1);
    // The receipt is there: the job's retry sends nothing.
    expect((await patient.deliver({ jobId: 'restart-1', targets: [{ ...target, to: ['bo@corp.example'] }], input }))[0]?.status).toBe('already-sent');
    expect(sink.messagesFor('bo@corp.example')).toHaveLength(1);
  });

  it('Redis down past the receipt write patience gives a duplicate with the same Message-ID', async () => {
    // Redis dies while the SMTP server is accepting the recipient.
    sink.onRecipient = async () => {
      await redisServer.stop();
      return undefined;
    };
    const error = await failure(courier.deliver({ jobId: 'window-1', targets: [target], input }));
    sink.onRecipient = undefined;
    expect(error.message).toMatch(
      /deliver\.0 email to ada@corp\.example: sent \(id <courier\.[0-9a-f]{32}@corp\.example>\), but its receipt could not be written to Redis \(.+\); a retry will send it again with the same Message-ID/,
    );
    expect(sink.messagesFor('ada@corp.example')).toHaveLength(1);

    await redisServer.start();
    const reports = await courier.deliver({ jobId: 'window-1', targets: [target], input });
    expect(reports).toMatchObject([{ status: 'sent' }]);
    const copies = await Promise.all(sink.messagesFor('ada@corp.example').map(parse));
    expect(copies).toHaveLength(2);
    expect(copies[1]?.messageId).toBe(copies[0]?.messageId);
    expect(reports[0]?.id).toBe(copies[0]?.messageId);

    // From now on the receipt is there: a further retry sends nothing.
    expect((await courier.deliver({ jobId: 'window-1', targets: [target], input }))[0]?.status).toBe('already-sent');
    expect(sink.messagesFor('ada@corp.example')).toHaveLength(2);
  });
});

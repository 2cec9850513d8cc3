// The receipt ledger against a real Redis.
import { afterAll, describe, expect, it } from 'vitest';
import { createReceiptLedger, receiptKey, RECEIPT_TTL_SECONDS } from '../../src/delivery/ledger.js';
import { redisScope } from '../helpers/scope.js';

const scope = redisScope('ledger');
const { prefix } = scope;
const redis = scope.connect();

afterAll(() => scope.close());

describe('receipt ledger', () => {
  it('finds only the recipients recorded for that job and target', async () => {
    const ledger = createReceiptLedger({ redis, prefix, now: () => new Date('2026-11-20T09:00:00Z') });
    await ledger.record('job-1', 'share:0:email', ['a@corp.com', 'b@corp.com'], '<m1@corp.com>');

    const found = await ledger.lookup('job-1', 'share:0:email', ['a@corp.com', 'b@corp.com', 'c@corp.com']);
    expect([...found.keys()]).toEqual(['a@corp.com', 'b@corp.com']);
    expect(found.get('a@corp.com')).toEqual({ id: '<m1@corp.com>', at: '2026-11-20T09:00:00.000Z' });

    expect((await ledger.lookup('job-1', 'share:1:email', ['a@corp.com'])).size).toBe(0);
    expect((await ledger.lookup('job-2', 'share:0:email', ['a@corp.com'])).size).toBe(0);
    expect((await ledger.lookup('job-1', 'alert:0:email', ['a@corp.com'])).size).toBe(0);
  });

  it('compares email addresses case-insensitively and answers with the address as asked', async () => {
    const ledger = createReceiptLedger({ redis, prefix });
    await ledger.record('job-case', 'share:0:email', ['Ada@Corp.com'], '<m@corp.com>');
    const found = await ledger.lookup('job-case', 'share:0:email', ['ada@corp.COM']);
    expect(found.get('ada@corp.COM')?.id).toBe('<m@corp.com>');
  });

  it('keeps the first id when a recipient is recorded twice', async () => {
    const ledger = createReceiptLedger({ redis, prefix });
    await ledger.record('job-twice', 'share:0:teams', ['19:abc@thread.tacv2'], 'activity-1');
    await ledger.record('job-twice', 'share:0:teams', ['19:abc@thread.tacv2'], 'activity-2');
    const found = await ledger.lookup('job-twice', 'share:0:teams', ['19:abc@thread.tacv2']);
    expect(found.get('19:abc@thread.tacv2')?.id).toBe('activity-1');
  });

  it('stores one hash per job under QUEUE_PREFIX that expires after the TTL', async () => {
    const ledger = createReceiptLedger({ redis, prefix });
    await ledger.record('job-ttl', 'share:0:email', ['a@corp.com'], '<m@corp.com>');
    const key = receiptKey(prefix, 'job-ttl');
    expect(key).toBe(`${prefix}:receipts:job-ttl`);
    expect(await redis.type(key)).toBe('hash');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(RECEIPT_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(RECEIPT_TTL_SECONDS);

    const short = createReceiptLedger({ redis, prefix, ttlSeconds: 120 });
    await short.record('job-ttl-short', 'share:0:email', ['a@corp.com'], '<m@corp.com>');
    expect(await redis.ttl(receiptKey(prefix, 'job-ttl-short'))).toBeLessThanOrEqual(120);
  });

  it('answers an empty lookup without asking Redis for nothing', async () => {
    const ledger = createReceiptLedger({ redis, prefix });
    expect((await ledger.lookup('job-empty', 'share:0:email', [])).size).toBe(0);
    await ledger.record('job-empty', 'share:0:email', [], 'x');
    expect(await redis.exists(receiptKey(prefix, 'job-empty'))).toBe(0);
  });
});

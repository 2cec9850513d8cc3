// The SMTP server refusing connections for 20 s in the middle of the
// stream: the deliveries in that window fail DELIVERY_FAILED and are
// retried with backoff until the server is back; each recipient gets one
// message, and the Teams posts the first attempts made are not made again.
import type { EnqueueOptions } from '../../../src/queue/producer.js';
import type { Scenario } from '../scenario.js';

const OUTAGE_MS = 20_000;
/**
 * Retries that outlast the outage: backoff 2, 4, 8, 16, 32, 64 s, so a job
 * that first fails as the outage begins is tried again 30 s and 62 s later.
 */
const PATIENT: EnqueueOptions = { attempts: 8, backoff: { type: 'exponential', delay: 2000 } };

export const smtpOutage: Scenario = {
  id: 'smtp',
  title: 'SMTP refusing connections for 20 s',
  proves:
    'deliveries during an SMTP outage fail DELIVERY_FAILED and are retried with backoff until it ends; each recipient gets exactly one message, and Teams posts already made are reported already-sent, not made again',
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const worker = await ctx.startWorker('worker');
    for (let i = 0; i < 10; i++) await ctx.share({}, PATIENT);
    await ctx.report(PATIENT);
    // Mid-stream: once two messages have gone through.
    await ctx.until(() => ctx.smtp.messages.length >= 2, 120_000, 'two messages at the SMTP server');
    await ctx.smtp.stop();
    ctx.print(`SMTP server stopped after ${ctx.smtp.messages.length} messages; it refuses connections for ${OUTAGE_MS / 1000} s`);
    for (let i = 0; i < 4; i++) await ctx.share({}, PATIENT);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await ctx.smtp.start();
    ctx.print('SMTP server listening again');
    await ctx.settle(this.settleTimeoutMs);

    const deliveryFailures = worker.lines.filter((l) => l.msg === 'job attempt failed; it will be retried' && String(l.reason).startsWith('DELIVERY_FAILED:'));
    ctx.check('deliveries during the outage failed DELIVERY_FAILED and were retried', deliveryFailures.length > 0, `${deliveryFailures.length} failed attempts`);
    const retried = await Promise.all(ctx.jobs.map(async (tracked) => ctx.job(tracked)));
    const postsKept = retried.filter((job) => (job?.attemptsMade ?? 0) > 1 && JSON.stringify(job?.returnvalue ?? {}).includes('"type":"teams","channelId"') && JSON.stringify(job?.returnvalue).includes('already-sent'));
    ctx.check('a retried job reported its Teams post already-sent instead of posting again', postsKept.length > 0, `${postsKept.length} jobs`);
  },
};

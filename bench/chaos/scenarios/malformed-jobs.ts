// 200 malformed payloads mixed into the stream, added with BullMQ directly
// as another producer would (the producer API refuses them): each fails
// INVALID_JOB on its first attempt, although it was given 3, and the good
// jobs around them complete and deliver as usual.
import type { QueueName } from '../../../src/contracts/index.js';
import type { Scenario } from '../scenario.js';
import { malformedPayload } from '../jobs.js';

const MALFORMED = 200;

export const malformedJobs: Scenario = {
  id: 'malformed',
  title: '200 malformed jobs in the stream',
  proves: 'a payload outside the contract fails INVALID_JOB on its first attempt, without a retry, naming its problems; the good jobs around it are unaffected',
  settleTimeoutMs: 180_000,
  async run(ctx) {
    await ctx.startWorker('worker');
    // One good job every 20 malformed ones, across the three queues.
    const queues: QueueName[] = ['screenshot', 'screenshot', 'screenshot', 'screenshot', 'screenshot', 'screenshot', 'screenshot', 'screenshot', 'pdf-report', 'alert'];
    for (let n = 0; n < MALFORMED; n++) {
      if (n % 20 === 0) await ctx.share();
      const queue = queues[n % queues.length]!;
      await ctx.addRaw(queue, malformedPayload(n), `malformed ${n + 1} (${queue})`, { kind: 'fail', code: 'INVALID_JOB', maxAttempts: 1 }, { attempts: 3 });
    }
    await ctx.report();
    await ctx.alert();
    await ctx.settle(this.settleTimeoutMs);

    const malformed = ctx.jobs.filter((j) => j.expect.kind === 'fail');
    const sample = await ctx.job(malformed[1]!);
    ctx.check('the reason names the problem (unknown field)', /^INVALID_JOB: .*colour/.test(sample?.failedReason ?? ''), sample?.failedReason ?? 'no reason');
  },
};

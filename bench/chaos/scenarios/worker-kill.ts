// The worker killed (kill -9) in the middle of a job, then another worker
// started: BullMQ's stalled-job check gives the dead worker's jobs to the
// new one (lock 30 s, checked every 15 s: 15–45 s), which completes them;
// the email the dead worker had sent is not sent again.
import { QUEUE_NAMES, type QueueName } from '../../../src/contracts/index.js';
import type { Scenario } from '../scenario.js';
import { holdNextPost } from '../hold.js';
import { processAlive } from '../worker.js';

export const workerKill: Scenario = {
  id: 'worker',
  title: 'Worker killed (kill -9) mid-job',
  proves:
    "the jobs a killed worker held are recovered by another worker through BullMQ's stalled-job check (within 15–45 s) and completed; the email it had already sent is reported already-sent, not sent again",
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const victim = await ctx.startWorker('victim');
    const chromiumPid = Number((await victim.waitFor((l) => l.msg === 'chromium launched', 60_000, '"chromium launched"')).chromiumPid);
    // The first Teams post is held at the Bot Connector: its job's email is
    // sent, its post is in flight, when the worker dies.
    const held = holdNextPost(ctx.teams);
    for (let i = 0; i < 6; i++) await ctx.share();
    await ctx.report();
    await held.reached;
    await victim.kill();
    held.drop();
    const killedAt = Date.now();
    // What it was running, from Redis (its log may not have reached us): the jobs left active under its locks.
    const running = (await Promise.all(QUEUE_NAMES.map((name) => ctx.queue(name).getActive()))).flat();
    ctx.print(`killed worker ${victim.pid} (kill -9) with a Teams post in flight; it was running ${running.map((j) => `${j.queueName}/${j.id ?? '?'}`).join(', ')}`);

    const rescuer = await ctx.startWorker('rescuer');
    for (let i = 0; i < 4; i++) await ctx.share();
    await ctx.alert();

    await rescuer.waitFor((l) => l.msg?.startsWith('job stalled') === true, 120_000, 'a stalled job');
    ctx.print(`the rescuer noticed a stalled job ${((Date.now() - killedAt) / 1000).toFixed(0)} s after the kill`);
    await ctx.settle(this.settleTimeoutMs);

    const rescued = await Promise.all(running.map(async (j) => ctx.queue(j.queueName as QueueName).getJob(j.id ?? '')));
    const states = await Promise.all(rescued.map(async (job) => `${job?.queueName ?? '?'}/${job?.id ?? '?'} ${job ? await job.getState() : 'missing'} by ${job?.processedBy ?? '?'}`));
    ctx.check(
      'every job the killed worker was running was completed by the rescuer',
      running.length > 0 && states.every((s) => / completed by .*:\d+$/.test(s) && s.endsWith(`:${rescuer.pid}`)),
      states.join('; ') || 'the killed worker was running no job',
    );
    const alreadySent = rescued.some((job) => JSON.stringify(job?.returnvalue ?? {}).includes('"type":"email"') && JSON.stringify(job?.returnvalue).includes('already-sent'));
    ctx.check('the email sent before the kill was reported already-sent on recovery', alreadySent);
    await ctx.until(() => !processAlive(chromiumPid), 30_000, "the killed worker's Chromium to exit").then(
      () => ctx.check("the killed worker's Chromium exited by itself", true),
      () => ctx.check("the killed worker's Chromium exited by itself", false, `pid ${chromiumPid} still alive`),
    );
  },
};

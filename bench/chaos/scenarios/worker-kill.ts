// The worker killed (kill -9) in the middle of a job, then another worker
// started: BullMQ's stalled-job check gives the dead worker's jobs to the
// new one (lock 30 s, checked every 15 s: 15–45 s), which completes them;
// the email the dead worker had sent is not sent again.
import { QUEUE_NAMES, type QueueName } from '../../../src/contracts/index.js';
import type { Scenario } from '../scenario.js';
import { holdMailExcept, holdNextPost } from '../hold.js';
import { processAlive } from '../../lib/proc-tree.js';

export const workerKill: Scenario = {
  id: 'worker',
  title: 'Worker killed (kill -9) mid-job',
  proves:
    "the jobs a killed worker held are recovered by another worker through BullMQ's stalled-job check (within 15–45 s) and completed; the email it had already sent is reported already-sent, not sent again",
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const victim = await ctx.startWorker('victim');
    const chromiumPid = Number((await victim.waitFor((l) => l.msg === 'chromium launched', 60_000, '"chromium launched"')).chromiumPid);
    // One job's email goes through, then its Teams post is held at the Bot
    // Connector: the worker dies with that post in flight. Every other
    // recipient is held at RCPT TO meanwhile, so nothing else is delivered
    // in the instant of the kill.
    const allowed = new Set<string>();
    const mail = holdMailExcept(ctx.smtp, (address) => allowed.has(address));
    const post = holdNextPost(ctx.teams);
    const first = await ctx.share({ label: 'share whose post is in flight at the kill' });
    for (const address of first.recipients) allowed.add(address);
    for (let i = 0; i < 5; i++) await ctx.share();
    await ctx.report();
    await post.reached;
    await victim.kill();
    post.drop();
    mail.refuse({ code: 451, message: 'try again later' });
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
    const recovered = (await ctx.job(first))?.returnvalue as { deliveries?: { type: string; status: string }[] } | undefined;
    const email = recovered?.deliveries?.find((d) => d.type === 'email');
    ctx.check('the email sent before the kill was reported already-sent on recovery', email?.status === 'already-sent', JSON.stringify(recovered?.deliveries ?? null));
    await ctx.until(() => !processAlive(chromiumPid), 30_000, "the killed worker's Chromium to exit").then(
      () => ctx.check("the killed worker's Chromium exited by itself", true),
      () => ctx.check("the killed worker's Chromium exited by itself", false, `pid ${chromiumPid} still alive`),
    );
  },
};

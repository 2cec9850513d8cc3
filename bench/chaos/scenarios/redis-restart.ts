// Redis killed and started again on the same port in the middle of the
// stream, as a crash and restart of an operator's Redis (append-only file,
// fsync on every write). The moment chosen is the hardest one: a Teams post
// has reached the Bot Connector and is answered while Redis is down, so the
// worker cannot write its receipt at once. Workers reconnect by themselves;
// nothing is lost, nothing is sent twice.
import type { Scenario } from '../scenario.js';
import { holdNextPost } from '../hold.js';

/** How long Redis stays down: long enough for every Redis command in flight to fail, well within a job's deadline. */
const OUTAGE_MS = 5000;

export const redisRestart: Scenario = {
  id: 'redis',
  title: 'Redis restarted mid-run',
  proves:
    'with Redis run as for a queue (appendonly, fsync always), a crash and restart mid-stream loses no job: workers reconnect, jobs in flight finish, and a post made while Redis was down gets its receipt once Redis is back, so it is not posted again',
  privateRedis: true,
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const redis = ctx.redisServer;
    if (!redis) throw new Error('this scenario needs its own Redis');
    const worker = await ctx.startWorker('worker');
    const held = holdNextPost(ctx.teams);
    for (let i = 0; i < 5; i++) await ctx.share();
    await ctx.report();
    await ctx.alert();
    await held.reached;

    await redis.stop();
    ctx.print(`Redis stopped (kill -9) while a Teams post is in flight; the post is answered now, Redis comes back in ${OUTAGE_MS / 1000} s`);
    held.release();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await redis.start();
    ctx.print('Redis started again on the same port');

    for (let i = 0; i < 5; i++) await ctx.share();
    await ctx.settle(this.settleTimeoutMs);
    const troubles = worker.lines.filter((l) => l.level === 'warn' || l.level === 'error').length;
    ctx.check('the same worker process rode out the restart', worker.running && troubles > 0, `${troubles} warnings while Redis was away`);
    const waited = worker.lines.find((l) => l.msg?.startsWith('receipt written once Redis answered again') === true);
    ctx.check('the receipt of the post answered while Redis was down was written once Redis was back', waited !== undefined, waited ? `after ${String(waited.tries)} tries` : 'no such log line');
  },
};

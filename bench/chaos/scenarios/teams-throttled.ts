// The Bot Connector answering 429 Too Many Requests (Retry-After: 1) to a
// burst of posts: the Teams sender waits and tries again within the job,
// and a post that is still refused after its tries fails the attempt, whose
// retry posts it; every channel gets its post once, every mailbox its email once.
import type { Scenario } from '../scenario.js';

const THROTTLED_POSTS = 12;

export const teamsThrottled: Scenario = {
  id: 'teams429',
  title: 'Bot Connector answering 429 to a burst',
  proves:
    'posts refused with 429 and Retry-After are retried (within the job, and by the job retry when a post is refused too long) and each lands exactly once; no email is sent twice',
  settleTimeoutMs: 180_000,
  async run(ctx) {
    const worker = await ctx.startWorker('worker');
    for (let i = 0; i < 12; i++) await ctx.share();
    await ctx.alert();
    // Mid-stream: once the first post has landed, the next 12 requests are refused.
    await ctx.until(() => ctx.teams.posts.length >= 1, 120_000, 'the first post');
    ctx.teams.failNext(429, { times: THROTTLED_POSTS, retryAfterSeconds: 1 });
    ctx.print(`the Bot Connector answers 429 (Retry-After: 1) to the next ${THROTTLED_POSTS} posts`);
    for (let i = 0; i < 3; i++) await ctx.share();
    await ctx.settle(this.settleTimeoutMs);

    const refused = ctx.teams.connectorRequests.filter((r) => r.status === 429).length;
    ctx.check(`the Bot Connector refused ${THROTTLED_POSTS} posts with 429`, refused === THROTTLED_POSTS, `${refused} refused`);
    const waits = worker.lines.filter((l) => l.msg === 'teams: transient answer, waiting before retrying').length;
    ctx.check('the worker waited for Retry-After and tried again', waits > 0, `${waits} waits`);
  },
};

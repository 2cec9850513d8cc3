// A Sentinel group (a master, a replica, three Sentinels) whose master is
// killed (kill -9) in the middle of a burst, while a Teams post is in
// flight: the Sentinels promote the replica, the worker finds the new
// master through them by itself, and the post's receipt is written there.
// The old master is then started again, as a supervisor would, and the
// Sentinels turn it into a replica. Nothing is lost, nothing sent twice.
import type { Scenario } from '../scenario.js';
import { burstWithPostInFlight } from '../failover-burst.js';

export const sentinelFailover: Scenario = {
  id: 'sentinel',
  title: 'Sentinel failover: master killed mid-burst',
  proves:
    'with the master of a Sentinel group killed mid-burst, the Sentinels promote the replica and the worker reconnects to it by itself: no job is lost, and the post answered while no master was reachable gets its receipt on the new master, so it is not posted again',
  topology: 'sentinel',
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const group = ctx.sentinel;
    if (!group) throw new Error('this scenario needs a Sentinel group of its own');
    const { worker, probe, held } = await burstWithPostInFlight(ctx);

    const old = await group.master();
    const started = Date.now();
    await old.stop();
    held.release();
    const promoted = await group.promotionFrom(old);
    const promotedMs = Date.now() - started;
    ctx.print(`master ${old.port} killed (kill -9) with a Teams post in flight; the Sentinels promoted ${promoted.port} ${promotedMs} ms later`);
    // Back, as a supervisor restarts it: the Sentinels make it a replica of the new master.
    await old.start();
    for (let i = 0; i < 5; i++) await ctx.share();
    await ctx.settle(this.settleTimeoutMs);
    const { longestGapMs, writes } = await probe.stop();

    ctx.check('the same worker process rode out the failover', worker.running);
    const reconnected = worker.lines.find((l) => l.msg === 'connected to Redis' && l.master === `127.0.0.1:${promoted.port}`);
    ctx.check("the worker's own client reconnected to the promoted master by itself", reconnected !== undefined, worker.lines.filter((l) => l.msg === 'connected to Redis').map((l) => String(l.master)).join(', '));
    const receipt = worker.lines.find((l) => l.msg?.startsWith('receipt written once Redis answered again') === true);
    ctx.check('the receipt of the post answered while no master was reachable was written on the new master', receipt !== undefined, receipt ? `after ${String(receipt.tries)} tries` : 'no such log line');
    ctx.note(`Sentinel failover: the replica was promoted ${(promotedMs / 1000).toFixed(2)} s after the master was killed (down-after-milliseconds 1000); courier's writes were held up ${(longestGapMs / 1000).toFixed(2)} s at most (${writes} probe writes)`);
  },
};

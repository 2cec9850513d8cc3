// A Redis Cluster (3 masters, 3 replicas) failed over in the middle of a
// burst, as an operator does before maintenance: `CLUSTER FAILOVER` on the
// replica of the shard that holds courier's slot. The worker was given only
// seed nodes that do not own that slot, so every command it ever sent was
// redirected. The moment chosen: a Teams post is in flight, so its receipt
// is written across the failover. Nothing is lost, nothing sent twice, the
// same worker process goes on by itself.
import type { Scenario } from '../scenario.js';
import { burstWithPostInFlight } from '../failover-burst.js';
import { createRedisClient, whereIsRedis } from '../../../src/redis/connection.js';
import { redisTarget } from '../../../src/redis/redis-url.js';

export const clusterFailover: Scenario = {
  id: 'cluster',
  title: 'Redis Cluster failover (CLUSTER FAILOVER) mid-burst',
  proves:
    "on a Cluster reached through seed nodes that do not own courier's slot, a failover of that slot's master mid-burst loses no job and sends no message twice: the worker follows the slot to the promoted replica by itself, and the post in flight gets its receipt once",
  topology: 'cluster',
  settleTimeoutMs: 240_000,
  async run(ctx) {
    const cluster = ctx.cluster;
    if (!cluster) throw new Error('this scenario needs a Cluster of its own');
    const slotKey = `${ctx.prefix}:x`;
    const before = await cluster.shardOf(slotKey);
    const seeds = redisTarget(ctx.redisUrl).nodes.map((n) => n.port);
    const shard = [before.master, ...before.replicas].map((n) => n.port);
    ctx.check("the worker's seed nodes neither own courier's slot nor replicate it", seeds.every((port) => !shard.includes(port)), `slot ${before.slot} on ${shard.join(', ')}; seeds ${seeds.join(', ')}`);

    const { worker, probe, held } = await burstWithPostInFlight(ctx);

    const started = Date.now();
    const { from, to } = await cluster.failover(slotKey);
    const promotedMs = Date.now() - started;
    ctx.print(`CLUSTER FAILOVER: slot ${before.slot} moved from ${from.port} to ${to.port} in ${promotedMs} ms, with a Teams post in flight`);
    held.release();
    for (let i = 0; i < 5; i++) await ctx.share();
    await ctx.settle(this.settleTimeoutMs);
    const { longestGapMs, writes } = await probe.stop();

    const client = createRedisClient(ctx.workerConfig);
    try {
      const where = await whereIsRedis(client, ctx.workerConfig);
      ctx.check("courier's client sees the promoted replica as the slot's master", where.master === `127.0.0.1:${to.port}`, JSON.stringify(where));
    } finally {
      client.disconnect();
    }
    ctx.check('the same worker process rode out the failover', worker.running);
    const after = worker.lines.filter((l) => l.msg === 'job completed' && typeof l.time === 'string' && Date.parse(l.time) > started + promotedMs).length;
    ctx.check('the worker completed jobs after the failover', after > 0, `${after} jobs`);
    ctx.note(`Cluster failover: the replica was promoted and every node agreed ${(promotedMs / 1000).toFixed(2)} s after CLUSTER FAILOVER; courier's writes were held up ${(longestGapMs / 1000).toFixed(2)} s at most (${writes} probe writes)`);
  },
};

// The moment both failover scenarios (Sentinel, Cluster) fail Redis over:
// a worker mid-burst, courier's writes probed, and a Teams post held in
// flight at the stand-in, so the post's receipt must be written after the
// failover for the post not to be sent twice.
import type { WorkerProcess } from '../../src/demo/worker-process.js';
import type { ScenarioContext } from './context.js';
import { holdNextPost, type HeldPost } from './hold.js';
import { startWriteProbe, type WriteProbe } from './write-probe.js';

export interface FailoverBurst {
  worker: WorkerProcess;
  probe: WriteProbe;
  /** Reached: the post is in flight; release() it once the failover is under way. */
  held: HeldPost;
}

/** Starts a worker, a write probe and a burst (shares, a report, an alert); resolves once a post is held in flight. */
export async function burstWithPostInFlight(ctx: ScenarioContext): Promise<FailoverBurst> {
  const worker = await ctx.startWorker('worker');
  const probe = startWriteProbe(ctx.workerConfig);
  const held = holdNextPost(ctx.teams);
  for (let i = 0; i < 5; i++) await ctx.share();
  await ctx.report();
  await ctx.alert();
  await held.reached;
  return { worker, probe, held };
}

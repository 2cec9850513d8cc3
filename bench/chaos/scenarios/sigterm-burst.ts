// SIGTERM while a worker is busy with a burst: it drains (the jobs it is
// running finish, no new one starts) and exits 0; the jobs it had not
// started stay queued, untouched, and a worker started afterwards completes them.
import type { Scenario } from '../scenario.js';
import { dataPath } from '../jobs.js';

const DRAINING = 'draining: no new jobs; waiting for active jobs to finish';

export const sigtermBurst: Scenario = {
  id: 'sigterm',
  title: 'SIGTERM during a burst',
  proves:
    'a worker told to stop finishes the jobs it is running and exits 0; the jobs it had not started stay queued with no attempt made, and the next worker completes them; none lost, none doubled',
  settleTimeoutMs: 180_000,
  async run(ctx) {
    const first = await ctx.startWorker('first');
    // The first two jobs take 3 s to load their data: they are in flight when the signal comes.
    const slow = [];
    for (let i = 0; i < 2; i++) {
      const delayMs = 3000 + ctx.jobs.length;
      slow.push({ job: await ctx.share({ delayMs, label: `in flight at SIGTERM ${i + 1}` }), path: dataPath('sales', delayMs) });
    }
    for (let i = 0; i < 12; i++) await ctx.share();
    await ctx.report();
    for (const { path } of slow) await ctx.backendReceived(path);
    first.child.kill('SIGTERM');
    await first.waitFor((l) => l.msg === DRAINING, 30_000, 'the drain');
    const code = await first.exit;
    ctx.check('the signalled worker drained and exited 0', code === 0, `exit status ${code}`);

    const startedByFirst = first.lines.filter((l) => l.msg === 'job started').map((l) => `${String(l.queue)}/${String(l.jobId)}`);
    const completedByFirst = first.lines.filter((l) => l.msg === 'job completed').map((l) => `${String(l.queue)}/${String(l.jobId)}`);
    ctx.check('every job it had started completed before it exited', startedByFirst.length > 0 && startedByFirst.every((k) => completedByFirst.includes(k)), `started ${startedByFirst.join(', ')}`);
    ctx.check('the jobs in flight at the signal were among them', slow.every(({ job }) => completedByFirst.includes(`${job.queue}/${job.id}`)));

    const untouched = ctx.jobs.filter((j) => !startedByFirst.includes(`${j.queue}/${j.id}`));
    const states = await Promise.all(untouched.map(async (j) => ({ state: await ctx.queue(j.queue).getJobState(j.id), attempts: (await ctx.job(j))?.attemptsMade ?? -1 })));
    ctx.check(
      'the jobs it had not started are still waiting, with no attempt made',
      untouched.length > 0 && states.every((s) => s.state === 'waiting' && s.attempts === 0),
      `${untouched.length} jobs: ${[...new Set(states.map((s) => `${s.state}/${s.attempts}`))].join(', ')}`,
    );

    const second = await ctx.startWorker('second');
    await ctx.settle(this.settleTimeoutMs);
    const completedBySecond = second.lines.filter((l) => l.msg === 'job completed').length;
    ctx.check('the next worker completed them', completedBySecond === untouched.length, `${completedBySecond} of ${untouched.length}`);
  },
};

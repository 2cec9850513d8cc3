// Chromium killed (SIGKILL of the worker's own browser process) while a
// render is in flight: that render fails BROWSER_CRASHED, is retried on a
// relaunched browser and completes; the jobs after it do not notice.
import type { Scenario } from '../scenario.js';
import { dataPath } from '../jobs.js';
import { attemptFailed } from '../../../src/demo/worker-process.js';
import { chromiumOf, processAlive } from '../../lib/proc-tree.js';

export const chromiumKill: Scenario = {
  id: 'chromium',
  title: 'Chromium killed mid-render',
  proves: 'a render in flight when Chromium dies fails BROWSER_CRASHED, is retried on a relaunched browser and completes; no message is lost or doubled',
  settleTimeoutMs: 180_000,
  async run(ctx) {
    const worker = await ctx.startWorker('worker');
    const launched = await worker.waitFor((l) => l.msg === 'chromium launched', 60_000, '"chromium launched"');
    const browser = chromiumOf(worker.pid);
    ctx.check("the worker's Chromium is found as its child process", browser !== undefined && browser.pid === launched.chromiumPid, `child ${browser?.pid ?? 'none'}, logged ${String(launched.chromiumPid)}`);
    if (!browser) return;

    for (let i = 0; i < 4; i++) await ctx.share();
    // The victim's story waits 4 s for its data: once the backend has the
    // request, the render is in flight for that long.
    const delayMs = 4000 + ctx.jobs.length;
    const victim = await ctx.share({ delayMs, label: 'victim (render in flight when Chromium is killed)' });
    await ctx.report();
    await ctx.backendReceived(dataPath('sales', delayMs));
    process.kill(browser.pid, 'SIGKILL');
    ctx.print(`killed Chromium ${browser.pid} of worker ${worker.pid} during the render of job ${victim.id}`);

    // The stream goes on while the browser comes back.
    for (let i = 0; i < 4; i++) await ctx.share();
    await ctx.alert();

    const failed = await worker.waitFor(attemptFailed(victim.id), 60_000, `a failed attempt of job ${victim.id}`);
    ctx.check('the render in flight failed BROWSER_CRASHED and will be retried', /^BROWSER_CRASHED:/.test(String(failed.reason)) && failed.msg !== 'job failed', String(failed.reason));
    const relaunched = await worker.waitFor((l) => l.msg === 'chromium launched' && l.chromiumPid !== browser.pid, 60_000, 'a relaunched Chromium');
    ctx.check('Chromium was relaunched', relaunched.replaced === true, `new pid ${String(relaunched.chromiumPid)}`);

    await ctx.settle(this.settleTimeoutMs);
    const job = await ctx.job(victim);
    ctx.check('the victim completed on a later attempt', (await job?.isCompleted()) === true && (job?.attemptsMade ?? 0) >= 2, `attemptsMade ${job?.attemptsMade ?? '?'}`);
    ctx.check('the killed browser is gone, the new one is the worker’s child', !processAlive(browser.pid) && chromiumOf(worker.pid)?.pid === relaunched.chromiumPid);
  },
};

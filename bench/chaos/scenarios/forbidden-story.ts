// A story that reaches outside the stack: a script on a foreign origin (a
// live server that records every request it gets), an image on a CDN that
// is not allowed, and a file: URL. The network policy blocks the first two,
// Chromium itself refuses file: to a web page; the story still becomes ready
// and is delivered with its chart; the foreign server never hears from the
// page; the job's log line names all three.
import { join } from 'node:path';
import sharp from 'sharp';
import type { Scenario } from '../scenario.js';
import type { TrackedJob } from '../tally.js';

/** The chart's bar colour (demo/site/story.css): a capture of the story ready shows plenty of it, a loader or a blank none. */
const CHART_BLUE = [0x2f, 0x6f, 0xde] as const;

async function chartShare(file: string): Promise<number> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let hits = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (Math.abs(data[i]! - CHART_BLUE[0]) <= 12 && Math.abs(data[i + 1]! - CHART_BLUE[1]) <= 12 && Math.abs(data[i + 2]! - CHART_BLUE[2]) <= 12) hits += 1;
  }
  return hits / (info.width * info.height);
}

export const forbiddenStory: Scenario = {
  id: 'forbidden',
  title: 'Story reaching a forbidden origin and file:',
  proves:
    'requests to an origin outside the stack and to file: are blocked and named in the log, the foreign server receives nothing, and the story is still captured with its chart and delivered once',
  settleTimeoutMs: 120_000,
  async run(ctx) {
    const worker = await ctx.startWorker('worker');
    for (let i = 0; i < 2; i++) await ctx.share();
    const stories: TrackedJob[] = [];
    for (let i = 0; i < 3; i++) stories.push(await ctx.share({ variant: 'forbidden', label: `forbidden story ${i + 1}` }));
    for (let i = 0; i < 2; i++) await ctx.share();
    await ctx.settle(this.settleTimeoutMs);

    ctx.check('the forbidden origin received zero requests', ctx.stack.forbiddenRequests.length === 0, `${ctx.stack.forbiddenRequests.length} requests`);
    const forbiddenOrigin = ctx.stack.forbiddenOrigin;
    const reported = (jobId: string): string[] =>
      worker.lines.filter((l) => l.jobId === jobId && l.msg === 'the story tried to load URLs outside the network policy; they were blocked').flatMap((l) => (Array.isArray(l.refused) ? (l.refused as { url: string }[]).map((r) => r.url) : []));
    const named = stories.map((story) => reported(story.id));
    ctx.check('each job names the blocked script on the forbidden origin in its log', named.every((urls) => urls.some((u) => u.startsWith(`${forbiddenOrigin}/`))), JSON.stringify(named[0]));
    ctx.check('each job names the blocked CDN image in its log', named.every((urls) => urls.some((u) => u.startsWith('https://cdn.forbidden.invalid/'))), JSON.stringify(named[0]));
    ctx.check('each job names the refused file: URL in its log', named.every((urls) => urls.some((u) => u.startsWith('file:'))), JSON.stringify(named[0]));
    const others = ctx.jobs.filter((j) => !stories.includes(j)).filter((j) => reported(j.id).length > 0);
    ctx.check('stories that stay inside the stack report nothing blocked', others.length === 0, others.map((j) => j.label).join(', '));

    for (const story of stories) {
      const job = await ctx.job(story);
      const artifact = (job?.returnvalue as { artifacts?: { path: string; width: number }[] } | undefined)?.artifacts?.[0];
      const share = artifact ? await chartShare(join(ctx.artifactsDir, artifact.path)) : 0;
      ctx.check(`${story.label} was captured with its chart`, share > 0.05, `${(share * 100).toFixed(1)}% of the capture is the chart's blue`);
    }
  },
};

// Side-by-side A/B of two worker builds (or one build, two environments):
// alternating rounds of closed-loop jobs at CONCURRENCY 4 on the bench story.
//   node dist/bench/ab.js <cliA.js> <cliB.js> [rounds] [jobsPerRound]
// env: XENV_A / XENV_B (JSON, extra worker env; with LOG_LEVEL debug it counts early captures kept and dropped), NODEARGS_B (space separated),
// AB_CONCURRENCY (default 4), AB_STORY (a gallery story, default echarts), AB_DUMP (a file: the beacons and job records, JSON).
// What it prints: bench/README.md, "Side by side".
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CourierClient } from './lib/courier.js';
import { BENCH_STORY, startBenchEnvironment, storyJob } from './lib/environment.js';
import type { GalleryStory } from '../test/fixtures/gallery/stack.js';
import { againstPage } from './lib/page-time.js';
import { median } from './lib/stats.js';

const [cliA, cliB, roundsArg, perRoundArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 6);
const perRound = Number(perRoundArg ?? 16);
const conc = Number(process.env.AB_CONCURRENCY ?? 4);

function startWorker(cli: string, env: Record<string, string>, nodeArgs: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, cli, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const messages = new Map<string, number>();
  const started = new Promise<void>((resolve) => {
    for (const input of [child.stdout, child.stderr]) createInterface({ input }).on('line', (line) => {
      if (line.includes('"worker started"')) resolve();
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (msg) messages.set(msg, (messages.get(msg) ?? 0) + 1);
      if (line.includes('"xp"')) process.stderr.write(`${line}\n`);
      else if (/"level":"(warn|error)"/.test(line)) process.stderr.write(`${line.slice(0, 300)}\n`);
    });
  });
  return { child, started, messages };
}

const env = await startBenchEnvironment();
const { gallery } = env;
const sides = [
  { name: 'A', cli: cliA!, extra: JSON.parse(process.env.XENV_A ?? '{}') as Record<string, string>, nodeArgs: [] as string[] },
  { name: 'B', cli: cliB!, extra: JSON.parse(process.env.XENV_B ?? '{}') as Record<string, string>, nodeArgs: (process.env.NODEARGS_B ?? '').split(' ').filter(Boolean) },
];
const running = sides.map((s) => {
  const w = startWorker(s.cli, env.workerEnv(`ab-${s.name}`, conc, s.extra), s.nodeArgs);
  return { ...s, ...w, client: new CourierClient(env.producerConfig(`ab-${s.name}`)), ids: [] as string[] };
});
await Promise.all(running.map((r) => r.started));
// AB_STORY: another gallery story (default: the benchmark's echarts chart).
const job = () => storyJob(gallery, (process.env.AB_STORY ?? BENCH_STORY) as GalleryStory);
for (const r of running) await r.client.run(job, 8, conc);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? running : [...running].reverse();
  for (const r of order) {
    const run = await r.client.run(job, perRound, conc);
    r.ids.push(...run.jobs.map((j) => j.id));
    if (run.failures.length) console.log(r.name, 'failures', run.failures);
  }
  process.stdout.write(`round ${round + 1}/${rounds}\n`);
}
const med = (xs: (number | undefined)[]) => Math.round(median(xs.filter((x): x is number => x !== undefined)));
for (const r of running) {
  const records = await r.client.records(r.ids);
  const timed = againstPage(records, gallery.beacons);
  const t = records.filter((x) => x.timings);
  console.log(
    `${r.name}: jobs ${records.length} timed ${timed.length} overhead ${med(timed.map((x) => x.overheadMs))} page ${med(timed.map((x) => x.finalFrameMs))} process ${med(t.map((x) => x.processMs))} open ${med(t.map((x) => x.timings!.openMs))} ready ${med(t.map((x) => x.timings!.readyMs))} capture ${med(t.map((x) => x.timings!.captureMs))} rest ${med(t.map((x) => x.processMs - (x.timings!.openMs ?? 0) - (x.timings!.readyMs ?? 0) - (x.timings!.captureMs ?? 0)))}`,
  );
}
for (const r of running) {
  const records = await r.client.records(r.ids);
  const byRun = new Map(gallery.beacons.filter((b) => !b.still).map((b) => [b.run, b]));
  const rows = records.flatMap((x) => {
    const b = byRun.get(new URL(x.url ?? '', 'http://x').searchParams.get('run') ?? '');
    if (!b || !x.timings) return [];
    const taken = x.finishedAt - x.processMs;
    const final = b.timeOrigin + b.finalFrameMs;
    const readyAt = taken + (x.timings.openMs ?? 0) + (x.timings.readyMs ?? 0);
    return [{ pre: b.timeOrigin - taken, post: x.finishedAt - final, readyLag: readyAt - final, captureEnd: readyAt + (x.timings.captureMs ?? 0) - final }];
  });
  const early = [...r.messages].filter(([msg]) => msg.startsWith('early capture'));
  if (early.length > 0) console.log(`${r.name}: ${early.map(([msg, n]) => `${msg}: ${n}`).join('; ')}`);
  console.log(`${r.name}: pre-nav ${med(rows.map((x) => x.pre))} post-final ${med(rows.map((x) => x.post))} ready lag ${med(rows.map((x) => x.readyLag))} capture end ${med(rows.map((x) => x.captureEnd))}`);
}
if (process.env.AB_DUMP) {
  const records = (await Promise.all(running.map((r) => r.client.records(r.ids)))).flat();
  (await import('node:fs')).writeFileSync(process.env.AB_DUMP, JSON.stringify({ beacons: gallery.beacons, records }));
}
for (const r of running) {
  r.child.kill('SIGTERM');
  await r.client.close();
}
await new Promise((res) => setTimeout(res, 3000));
await env.dispose();
process.exit(0);

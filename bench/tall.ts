// `npm run bench:tall [-- --jobs N]`: whole dashboards (issue 21), measured
// against the page itself, like bench/run.ts does for a single chart.
//
//   home C=1, C=2   the gallery's tall Home (8 panels drawn on intersection,
//                   a lazy picture far below, 4,246 px): the job's time in a
//                   real `courier worker` minus the page's own final frame
//                   (its last panel drawn), N jobs each;
//   marked          the same kind of story marking data-render-complete:
//                   the time from its last mark to the job's end;
//   decorated       a chart under never-ending decoration (ticker, badge,
//                   dot, Lottie): from its final frame to the job's end;
//   render-error    a panel marking data-render-error: from the mark to the
//                   job's failure (DATA_FAILED);
//   tall view       growing the viewport against scrolling through the page
//                   (Grafana's scrollForElements), in plain puppeteer on the
//                   Home and the window-virtualised list: the page's own time
//                   to its final frame, and what is drawn at that moment;
//   encoding        Chromium's PNG encoding, default against optimizeForSpeed,
//                   on the still Home, a marked story and a single chart:
//                   bytes, identical pixels, where a capture's time goes.
//
// Writes bench/results/tall.json and tall.md. Goals (issue 21): home C=1
// ≤ 100 ms, C=2 ≤ 120 ms, marked ≤ 50 ms, decorated ≤ 1000 ms, render-error
// ≤ 1000 ms. Run it on a quiet machine: other work shows in every figure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findChromium } from '../src/browser/pool.js';
import { startWorkerProcess } from '../src/demo/worker-process.js';
import { fromRoot } from '../src/paths.js';
import type { GalleryStory } from '../test/fixtures/gallery/stack.js';
import { CourierClient, type JobRecord } from './lib/courier.js';
import { startBenchEnvironment, storyJob, type BenchEnvironment } from './lib/environment.js';
import { describeMachine } from './lib/machine.js';
import { againstPage, runOf } from './lib/page-time.js';
import { summarize, type LatencySummary } from './lib/stats.js';
import { compareEncodings, type EncodingRow } from './lib/capture-encoding.js';
import { compareTallViews, type TallViewRow } from './lib/tall-view.js';

const { values: flags } = parseArgs({ options: { jobs: { type: 'string', default: '12' }, out: { type: 'string', default: fromRoot('bench', 'results') } } });
const jobs = Math.max(2, Number(flags.jobs));
const startedAt = Date.now();
const say = (line: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

interface Row {
  name: string;
  concurrency: number;
  /** Job's time in the worker minus the page's final frame (or its mark). */
  overhead: LatencySummary;
  page: LatencySummary;
  goalMs: number;
  failed: string[];
  notes: string;
}

async function measure(env: BenchEnvironment, concurrency: number): Promise<Row[]> {
  const prefix = `tall-c${concurrency}`;
  const worker = await startWorkerProcess(env.workerEnv(prefix, concurrency), { keepLines: false });
  const client = new CourierClient(env.producerConfig(prefix));
  const rows: Row[] = [];
  try {
    await client.run(() => storyJob(env.gallery, 'home'), 2 * concurrency, concurrency); // warm-up: compiled bundle, asset cache
    const timed = async (story: GalleryStory, goalMs: number, notes: string): Promise<Row> => {
      const run = await client.run(() => storyJob(env.gallery, story), jobs, concurrency);
      const paired = againstPage(await client.records(run.jobs.map((j) => j.id)), env.gallery.beacons);
      say(`${story} C=${concurrency}: ${paired.length} jobs, overhead median ${summarize(paired.map((p) => p.overheadMs)).medianMs} ms`);
      return { name: story, concurrency, overhead: summarize(paired.map((p) => p.overheadMs)), page: summarize(paired.map((p) => p.finalFrameMs)), goalMs, failed: run.failures, notes };
    };
    rows.push(await timed('home', concurrency === 1 ? 100 : 120, 'final frame: the last panel drawn'));
    if (concurrency === 1) {
      rows.push(await timed('render-complete', 50, 'final frame: the last data-render-complete mark'));
      rows.push(await timed('decorated', 1000, 'final frame: the chart drawn; the decoration never stops'));
      const failures: JobRecord[] = [];
      for (let i = 0; i < jobs; i++) failures.push(await client.once(storyJob(env.gallery, 'render-error')));
      const marks = new Map(env.gallery.beacons.map((b) => [b.run, (b as { marked?: number }).marked ?? b.finalFrameMs]));
      const paired = failures.flatMap((r) => {
        const mark = marks.get(runOf(r.url) ?? '');
        return mark === undefined || !r.failedReason?.startsWith('DATA_FAILED') ? [] : [{ overheadMs: r.processMs - mark, pageMs: mark }];
      });
      say(`render-error: ${paired.length} of ${failures.length} failed as DATA_FAILED, from the mark median ${summarize(paired.map((p) => p.overheadMs)).medianMs} ms`);
      rows.push({
        name: 'render-error',
        concurrency,
        overhead: summarize(paired.map((p) => p.overheadMs)),
        page: summarize(paired.map((p) => p.pageMs)),
        goalMs: 1000,
        failed: failures.filter((r) => !r.failedReason?.startsWith('DATA_FAILED')).map((r) => r.failedReason ?? 'completed'),
        notes: 'from the data-render-error mark to the job failing as DATA_FAILED',
      });
    }
  } finally {
    await client.close();
    await worker.stop();
  }
  return rows;
}

const env = await startBenchEnvironment();
let rows: Row[] = [];
let views: TallViewRow[] = [];
let encodings: EncodingRow[] = [];
try {
  rows = [...(await measure(env, 1)), ...(await measure(env, 2))];
  say('tall view: growing the viewport against scrolling through');
  views = await compareTallViews(env.gallery, 3);
  say('encoding: default against optimizeForSpeed');
  encodings = await compareEncodings(env.gallery, ['home', 'render-complete', 'echarts'], 4);
} finally {
  await env.dispose();
}

const machine = describeMachine(findChromium(undefined));
const results = { date: new Date().toISOString(), jobsPerRow: jobs, machine, rows, tallView: views, encodings };
mkdirSync(flags.out, { recursive: true });
writeFileSync(join(flags.out, 'tall.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = [
  `# Whole dashboards (issue 21): ${results.date}`,
  '',
  `${jobs} jobs per row; machine: ${JSON.stringify(machine)}`,
  '',
  '| story | C | overhead median (p95) ms | goal ms | page median ms | failed |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} (${r.notes}) | ${r.concurrency} | ${r.overhead.medianMs} (${r.overhead.p95Ms}) | ≤ ${r.goalMs} ${r.overhead.medianMs <= r.goalMs ? 'met' : 'missed'} | ${r.page.medianMs} | ${r.failed.length} |`),
  '',
  '| story | way | final frame median ms (from navigation) | drawn at the final frame |',
  '|---|---|---|---|',
  ...views.map((v) => `| ${v.story} | ${v.way} | ${v.finalFrameMs} | ${v.drawn} |`),
  '',
  '| story (CSS px) | PNG encoding | bytes | same pixels | call ms | draw ms wall/CPU | readback | encode |',
  '|---|---|--:|---|--:|--:|--:|--:|',
  ...encodings.map((e) => `| ${e.story} (${e.size}) | ${e.encoding} | ${e.bytes} | ${e.samePixels ? 'yes' : '**no**'} | ${e.callMs} | ${e.stages.draw.wallMs}/${e.stages.draw.cpuMs} | ${e.stages.readback.wallMs}/${e.stages.readback.cpuMs} | ${e.stages.encode.wallMs}/${e.stages.encode.cpuMs} |`),
  '',
].join('\n');
writeFileSync(join(flags.out, 'tall.md'), md);
say(`wrote ${join(flags.out, 'tall.md')}`);
process.stdout.write(md);

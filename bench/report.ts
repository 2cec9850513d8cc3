// `npm run bench:report [-- --runs N --concurrency C]`: PDF reports against
// their ideal (issue 21), in a real `courier worker` on a private Redis.
//
//   page time   the benchmark story's own time to its final frame (its
//               beacon), screenshot jobs at CONCURRENCY 1;
//   20 pages    a 20-page report of that story at CONCURRENCY C: its time
//               from enqueue to result, against the ideal 20 × page time /
//               C, with the file's size and the assembly's time;
//   Home        a report of the gallery's tall Home (8 panels drawn on
//               intersection, about 4,600 px) and one ordinary story: how
//               many PDF pages it takes, its size, its times.
//
// Each report page is surveyed once it is ready and captured once, vector
// or raster as chosen (docs/reports.md). Writes bench/results/report.json
// and report.md. Goal (issue 21): 20 pages ≤ 1.3 × ideal (it was 1.97 when
// every page was captured twice). Run it on a quiet machine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findChromium } from '../src/browser/pool.js';
import type { PdfReportJobInput } from '../src/contracts/pdf-report.js';
import type { JobResult } from '../src/contracts/result.js';
import { startWorkerProcess } from '../src/demo/worker-process.js';
import { fromRoot } from '../src/paths.js';
import { CourierClient } from './lib/courier.js';
import { BENCH_SELECTOR, BENCH_STORY, startBenchEnvironment, storyJob, type BenchEnvironment } from './lib/environment.js';
import { describeMachine } from './lib/machine.js';
import { againstPage } from './lib/page-time.js';
import { median, round2 } from './lib/stats.js';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '2' }, out: { type: 'string', default: fromRoot('bench', 'results') } },
});
const runs = Math.max(1, Number(flags.runs));
const concurrency = Math.max(1, Number(flags.concurrency));
const PAGES = 20;
const startedAt = Date.now();
const say = (line: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

interface ReportRun {
  latencyMs: number;
  renderMs: number;
  assembleMs: number;
  bytes: number;
  pages: number;
}

async function reportOnce(client: CourierClient, env: BenchEnvironment, job: PdfReportJobInput): Promise<ReportRun> {
  const { latencyMs, result } = await client.report(job);
  const pdf = result.artifacts.find((a) => a.mime === 'application/pdf');
  if (!pdf) throw new Error('the report has no PDF');
  const bytes = readFileSync(join(env.dir, 'artifacts', `report-c${concurrency}`, pdf.path)).byteLength;
  return { latencyMs: Math.round(latencyMs), renderMs: timing(result, 'renderMs'), assembleMs: timing(result, 'assembleMs'), bytes, pages: pdf.pages ?? 0 };
}

function timing(result: JobResult, key: string): number {
  return Math.round((result.timings as Record<string, number | undefined>)[key] ?? 0);
}

const medianOf = (items: ReportRun[], key: keyof ReportRun) => Math.round(median(items.map((r) => r[key])));

const env = await startBenchEnvironment();
let results: Record<string, unknown>;
try {
  // Page time: the story's own final frame, one job at a time.
  const one = await startWorkerProcess(env.workerEnv('report-page', 1), { keepLines: false });
  const pageClient = new CourierClient(env.producerConfig('report-page'));
  let pageMs: number;
  try {
    await pageClient.run(() => storyJob(env.gallery), 3, 1);
    const run = await pageClient.run(() => storyJob(env.gallery), 8, 1);
    pageMs = Math.round(median(againstPage(await pageClient.records(run.jobs.map((j) => j.id)), env.gallery.beacons).map((t) => t.finalFrameMs)));
  } finally {
    await pageClient.close();
    await one.stop();
  }
  const idealMs = Math.round((PAGES * pageMs) / concurrency);
  say(`page time ${pageMs} ms: a ${PAGES}-page report's ideal at CONCURRENCY ${concurrency} is ${idealMs} ms`);

  const worker = await startWorkerProcess(env.workerEnv(`report-c${concurrency}`, concurrency, { JOB_TIMEOUT_MS: '600000' }), { keepLines: false });
  const client = new CourierClient(env.producerConfig(`report-c${concurrency}`));
  try {
    const twenty = (): PdfReportJobInput => ({
      title: 'Benchmark report',
      smallApp: 'bench',
      auth: { token: env.gallery.token },
      deliver: [],
      pages: Array.from({ length: PAGES }, (_, i) => ({ url: env.gallery.storyPath(BENCH_STORY), title: `Page ${i + 1}`, selector: BENCH_SELECTOR })),
    });
    await client.run(() => storyJob(env.gallery), 2 * concurrency, concurrency); // warm-up
    const reports: ReportRun[] = [];
    for (let i = 0; i < runs; i++) {
      reports.push(await reportOnce(client, env, twenty()));
      say(`${PAGES} pages: ${reports.at(-1)!.latencyMs} ms (${round2(reports.at(-1)!.latencyMs / idealMs)} × ideal), ${Math.round(reports.at(-1)!.bytes / 1024)} KB, assembled in ${reports.at(-1)!.assembleMs} ms`);
    }
    const home = (): PdfReportJobInput => ({
      title: 'Home',
      smallApp: 'bench',
      auth: { token: env.gallery.token },
      deliver: [],
      pages: [
        { url: env.gallery.storyPath('home'), title: 'Home', selector: BENCH_SELECTOR },
        { url: env.gallery.storyPath('d3'), title: 'Margin', selector: BENCH_SELECTOR },
      ],
    });
    const homes: ReportRun[] = [];
    for (let i = 0; i < runs; i++) {
      homes.push(await reportOnce(client, env, home()));
      say(`Home report: ${homes.at(-1)!.pages} PDF pages, ${homes.at(-1)!.latencyMs} ms, ${Math.round(homes.at(-1)!.bytes / 1024)} KB, assembled in ${homes.at(-1)!.assembleMs} ms`);
    }
    const latencyMs = medianOf(reports, 'latencyMs');
    results = {
      date: new Date().toISOString(),
      machine: describeMachine(findChromium(undefined)),
      loadAverageAtEnd: (await import('node:os')).loadavg().map((l) => round2(l)),
      concurrency,
      runs,
      pageMs,
      twenty: { pages: PAGES, idealMs, latencyMs, ratioToIdeal: round2(latencyMs / idealMs), renderMs: medianOf(reports, 'renderMs'), assembleMs: medianOf(reports, 'assembleMs'), bytes: medianOf(reports, 'bytes'), all: reports },
      home: { pdfPages: medianOf(homes, 'pages'), latencyMs: medianOf(homes, 'latencyMs'), renderMs: medianOf(homes, 'renderMs'), assembleMs: medianOf(homes, 'assembleMs'), bytes: medianOf(homes, 'bytes'), all: homes },
    };
  } finally {
    await client.close();
    await worker.stop();
  }
} finally {
  await env.dispose();
}

const r = results as { date: string; loadAverageAtEnd: number[]; pageMs: number; twenty: Record<string, number>; home: Record<string, number> };
mkdirSync(flags.out, { recursive: true });
writeFileSync(join(flags.out, 'report.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = [
  `# PDF reports (issue 21): ${r.date}`,
  '',
  `CONCURRENCY ${concurrency}, ${runs} runs each (medians); page time ${r.pageMs} ms; load average at the end ${r.loadAverageAtEnd.join(', ')}`,
  '',
  '| report | PDF pages | time ms | ideal ms | × ideal (goal ≤ 1.3) | render ms | assembly ms | size KB |',
  '|---|--:|--:|--:|--:|--:|--:|--:|',
  `| ${PAGES} × ${BENCH_STORY} | ${PAGES + 1} | ${r.twenty.latencyMs} | ${r.twenty.idealMs} | ${r.twenty.ratioToIdeal} | ${r.twenty.renderMs} | ${r.twenty.assembleMs} | ${Math.round(r.twenty.bytes! / 1024)} |`,
  `| tall Home + d3 | ${r.home.pdfPages} | ${r.home.latencyMs} | | | ${r.home.renderMs} | ${r.home.assembleMs} | ${Math.round(r.home.bytes! / 1024)} |`,
  '',
].join('\n');
writeFileSync(join(flags.out, 'report.md'), md);
say(`wrote ${join(flags.out, 'report.md')}`);
process.stdout.write(md);

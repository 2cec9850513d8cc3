// `npm run bench [-- --quick]`: courier measured against the page itself.
//
// The story is a gallery story drawn by real third-party code (ECharts on
// canvas with its default animation, a web font, the 1.7 MB app bundle).
// Each page reports by beacon when it drew its final frame; each job's time
// in the worker is read from BullMQ. The difference is the worker's
// overhead. One run measures, side by side in rounds whose order turns (so
// the shared machine's noise falls on every configuration alike):
//   courier C=1   one job in flight, a real `courier worker` process;
//   courier C=4   four in flight (closed loop), and a burst of 16 added at once;
//   naive ×4      a browser launched per job, 4 at a time (Grafana's default);
// then the gallery through the worker (each story's capture against its
// still variant), misbehaving stories (hung page, dialogs, a renderer
// killed), a 20-page PDF report, and a sustained run (500 jobs, 100 with
// --quick) sampling the worker's memory. Writes bench/results/latest.json
// and latest.md. Then the real app behind a 40 ms round trip (bench/lib/real-app.ts):
// courier against a fresh context without the shared cache and a warm tab.
// What each figure means: bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findChromium } from '../src/browser/pool.js';
import { DEFAULTS } from '../src/config.js';
import { freePort } from '../src/demo/redis-server.js';
import type { PdfReportJobInput } from '../src/contracts/pdf-report.js';
import { fromRoot } from '../src/paths.js';
import { startWorkerProcess, type WorkerProcess } from '../src/demo/worker-process.js';
import { CourierClient, type CourierRun, type JobRecord } from './lib/courier.js';
import { BENCH_SELECTOR, BENCH_STORY, startBenchEnvironment, storyJob, type BenchEnvironment } from './lib/environment.js';
import { checkGallery, checkMisbehaving } from './lib/gallery-check.js';
import { describeMachine } from './lib/machine.js';
import { runNaive, type NaiveRun } from './lib/naive.js';
import { againstPage, type PageTimedJob } from './lib/page-time.js';
import { cacheGauges, realAppMarkdown, runRealApp } from './lib/real-app.js';
import { sampleTreeMemory, treeMemory, type TreeMemory } from './lib/proc-tree.js';
import { goalsOf, markdown, ratio, type BenchResults, type BurstFigures, type ConfigurationRow, type PhaseMedians } from './lib/results.js';
import { median, perMinute, summarize } from './lib/stats.js';

interface Plan {
  rounds: number;
  /** Per round: C=1 jobs, C=4 closed-loop jobs, naive jobs. */
  c1: number;
  c4: number;
  naive: number;
  burst: number;
  sustained: number;
  sustainedWarmUp: number;
  reportRuns: number;
}

const PLANS: Record<'full' | 'quick', Plan> = {
  full: { rounds: 4, c1: 8, c4: 16, naive: 8, burst: 16, sustained: 500, sustainedWarmUp: 24, reportRuns: 3 },
  quick: { rounds: 1, c1: 8, c4: 12, naive: 4, burst: 16, sustained: 100, sustainedWarmUp: 12, reportRuns: 1 },
};

const REPORT_PAGES = 20;
const VIEWPORT = { width: 1280, height: 618, deviceScaleFactor: 1 };

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: fromRoot('bench', 'results') },
  },
});
const mode = flags.quick ? 'quick' : 'full';
const plan = PLANS[mode];

const startedAt = Date.now();
const say = (line: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

/** Peak memory of a set of process trees that changes over time (the naive browsers). */
function sampleLiveTrees(pids: Set<number>, intervalMs = 200): { stop(): number } {
  let peak = 0;
  const take = () => {
    let sum = 0;
    for (const pid of pids) sum += treeMemory(pid).rssMb;
    peak = Math.max(peak, sum);
  };
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything one configuration collected across the rounds. */
interface Collected {
  latencies: number[];
  ids: string[];
  failures: string[];
  jobs: number;
  wallMs: number;
}

const collected = (): Collected => ({ latencies: [], ids: [], failures: [], jobs: 0, wallMs: 0 });

function addCourier(into: Collected, run: CourierRun): void {
  into.latencies.push(...run.jobs.map((j) => j.latencyMs));
  into.ids.push(...run.jobs.map((j) => j.id));
  into.failures.push(...run.failures);
  into.jobs += run.jobs.length + run.failures.length;
  into.wallMs += run.wallMs;
}

function addNaive(into: Collected, run: NaiveRun): void {
  into.latencies.push(...run.jobs.map((j) => j.totalMs));
  into.failures.push(...run.failures);
  into.jobs += run.jobs.length + run.failures.length;
  into.wallMs += run.wallMs;
}

function row(name: string, how: string, c: Collected, peakRssMb: number | null): ConfigurationRow {
  const s = summarize(c.latencies);
  return { name, how, jobs: c.jobs, failed: c.failures.length, medianMs: s.medianMs, p95Ms: s.p95Ms, throughputPerMin: perMinute(c.jobs - c.failures.length, c.wallMs), peakRssMb };
}

const medianOf = <T>(items: T[], pick: (item: T) => number | undefined): number => Math.round(median(items.map(pick).filter((v): v is number => v !== undefined)));
const overheadOf = (timed: PageTimedJob[]) => medianOf(timed, (t) => t.overheadMs);

function phasesOf(records: JobRecord[], timed: PageTimedJob[]): PhaseMedians {
  const done = records.filter((r) => r.timings !== null);
  return {
    'queue pick-up': medianOf(done, (r) => r.pickupMs),
    'open (context made ahead, navigate to DOMContentLoaded)': medianOf(done, (r) => r.timings?.openMs),
    'ready (the story loading, animating, and being seen to be done)': medianOf(done, (r) => r.timings?.readyMs),
    capture: medianOf(done, (r) => r.timings?.captureMs),
    'rest (artifact, result, page setup)': medianOf(done, (r) => r.processMs - (r.timings?.openMs ?? 0) - (r.timings?.readyMs ?? 0) - (r.timings?.captureMs ?? 0)),
    'in the worker (taken → finished)': medianOf(done, (r) => r.processMs),
    "the page's own final frame (navigation start → beacon)": medianOf(timed, (t) => t.finalFrameMs),
  };
}

function reportJob(env: BenchEnvironment): PdfReportJobInput {
  return {
    title: 'Benchmark report',
    smallApp: 'bench',
    auth: { token: env.gallery.token },
    deliver: [],
    pages: Array.from({ length: REPORT_PAGES }, (_, i) => ({ url: env.gallery.storyPath(BENCH_STORY), title: `Page ${i + 1}`, selector: BENCH_SELECTOR })),
  };
}

async function main(): Promise<void> {
  const chromiumPath = findChromium(process.env.CHROMIUM_PATH || undefined);
  const machine = describeMachine(chromiumPath);
  say(`courier benchmark, ${mode} run: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, ${machine.chromium}`);

  const env = await startBenchEnvironment();
  const { gallery } = env;
  const workers: WorkerProcess[] = [];
  const clients: CourierClient[] = [];
  try {
    const job = () => storyJob(gallery);
    const start = async (prefix: string, c: number) => {
      const worker = await startWorkerProcess(env.workerEnv(prefix, c), { keepLines: false });
      const client = new CourierClient(env.producerConfig(prefix));
      workers.push(worker);
      clients.push(client);
      return { worker, client, memory: sampleTreeMemory(worker.pid, 500) };
    };
    const one = await start('bench-c1', 1);
    const four = await start('bench-c4', 4);
    say('workers started at CONCURRENCY 1 and 4; warming up');
    await one.client.run(job, 3, 1);
    await four.client.run(job, 8, 4);
    const target = { url: () => gallery.frontendUrl + gallery.storyPath(BENCH_STORY), token: gallery.token, viewport: VIEWPORT, selector: BENCH_SELECTOR };
    await runNaive(target, 1, 1, { chromiumPath });

    const c1 = collected();
    const c4 = collected();
    const naive = collected();
    const bursts: { wallMs: number; ids: string[] }[] = [];
    const burstFailures: string[] = [];
    const naivePids = new Set<number>();
    const onBrowser = (pid: number, running: boolean) => void (running ? naivePids.add(pid) : naivePids.delete(pid));
    let naivePeak = 0;
    const rounds: BenchResults['rounds'] = [];

    for (let round = 0; round < plan.rounds; round++) {
      const before = { c1: c1.ids.length, c4: c4.ids.length, bursts: bursts.length };
      const segments = [
        async () => addCourier(c1, await one.client.run(job, plan.c1, 1)),
        async () => addCourier(c4, await four.client.run(job, plan.c4, 4)),
        async () => {
          const run = await four.client.burst(job, plan.burst);
          bursts.push({ wallMs: run.wallMs, ids: run.jobs.map((j) => j.id) });
          burstFailures.push(...run.failures);
        },
        async () => {
          const memory = sampleLiveTrees(naivePids);
          addNaive(naive, await runNaive(target, plan.naive, 4, { chromiumPath, onBrowser }));
          naivePeak = Math.max(naivePeak, memory.stop());
        },
      ];
      for (let s = 0; s < segments.length; s++) await segments[(s + round) % segments.length]!();
      const o1 = overheadOf(againstPage(await one.client.records(c1.ids.slice(before.c1)), gallery.beacons));
      const o4 = overheadOf(againstPage(await four.client.records(c4.ids.slice(before.c4)), gallery.beacons));
      const burst = await burstFigures(four.client, bursts.slice(before.bursts), gallery.beacons);
      rounds.push({ overheadC1Ms: o1, overheadC4Ms: o4, burstRatio: ratio(burst.wallMs, burst.idealMs) });
      say(`round ${round + 1}/${plan.rounds}: overhead over the page C=1 ${o1} ms, C=4 ${o4} ms; burst of ${plan.burst} ×${ratio(burst.wallMs, burst.idealMs)} the ideal`);
    }

    say('gallery through the worker, and misbehaving stories');
    const galleryChecks = await checkGallery(four.client, gallery, join(env.dir, 'artifacts', 'bench-c4'));
    const misbehaving = await checkMisbehaving(one.client, gallery, one.worker.pid);
    for (const m of misbehaving) say(`  ${m.case}: ended after ${m.endedMs} ms (timeout ${m.timeoutMs} ms): ${m.outcome}`);

    const c1Records = await one.client.records(c1.ids);
    const c1Timed = againstPage(c1Records, gallery.beacons);
    const c4Timed = againstPage(await four.client.records(c4.ids), gallery.beacons);
    const burst = await burstFigures(four.client, bursts, gallery.beacons);
    const pageMedianMs = medianOf(c1Timed, (t) => t.finalFrameMs);

    // A 20-page report on the warm CONCURRENCY 4 worker.
    const reports: { latencyMs: number; timings: Record<string, number | undefined> }[] = [];
    const reportFailures: string[] = [];
    for (let i = 0; i < plan.reportRuns; i++) {
      try {
        const { latencyMs, result } = await four.client.report(reportJob(env));
        reports.push({ latencyMs, timings: result.timings });
      } catch (err) {
        reportFailures.push(err instanceof Error ? err.message : String(err));
      }
    }
    say(`pdf report (${REPORT_PAGES} pages): ${reports.map((r) => Math.round(r.latencyMs)).join(', ')} ms`);
    const peaks = { one: one.memory.stop()?.rssMb ?? null, four: four.memory.stop()?.rssMb ?? null };
    await one.worker.stop();
    await four.worker.stop();

    // The real app behind a round trip: courier against a fresh context without the cache and a warm tab (bench/lib/real-app.ts).
    const realApp = await runRealApp({ redisUrl: env.redis.url, dir: env.dir, chromiumPath, jobs: mode === 'quick' ? 4 : 8, say });
    say(`real app: courier ÷ warm tab ${realApp.courierToWarm.c1} (C=1), ${realApp.courierToWarm.c4} (C=4); fresh context ÷ warm tab ${realApp.freshToWarm.c1}, ${realApp.freshToWarm.c4}; bundle fetches per file ${realApp.courierBundleFetchesPerFile}`);

    // Sustained: a fresh worker, warmed up, then a backlog of jobs.
    say(`sustained: ${plan.sustained} jobs at CONCURRENCY 4`);
    const sustainedPort = await freePort();
    const sustainedWorker = await startWorkerProcess(env.workerEnv('bench-sustained', 4, { HTTP_PORT: String(sustainedPort) }), { keepLines: false });
    workers.push(sustainedWorker);
    const sustainedClient = new CourierClient(env.producerConfig('bench-sustained'));
    clients.push(sustainedClient);
    await sustainedClient.run(job, plan.sustainedWarmUp, 4);
    await settle(1500);
    const memStart: TreeMemory = treeMemory(sustainedWorker.pid);
    const sustainedMemory = sampleTreeMemory(sustainedWorker.pid, 1000);
    const sustained = await sustainedClient.burst(job, plan.sustained);
    const sustainedPeak = sustainedMemory.stop();
    await settle(1500);
    const memEnd: TreeMemory = treeMemory(sustainedWorker.pid);
    const sustainedRecords = await sustainedClient.records(sustained.jobs.map((j) => j.id));
    const browserRestarts = sustainedWorker.counts.get('recycling chromium after its page budget') ?? 0;
    const sustainedCache = { jobs: plan.sustained, cacheBytes: (await cacheGauges(sustainedPort))?.bytes ?? null, boundBytes: Number(DEFAULTS.ASSET_CACHE_MB) * 1024 * 1024 };
    say(`sustained: ${sustained.jobs.length} done, ${sustained.failures.length} failed in ${(sustained.wallMs / 1000).toFixed(1)} s; RSS ${memStart.rssMb} → ${memEnd.rssMb} MB`);

    // The figures.
    const throughput = { '1': perMinute(c1.jobs - c1.failures.length, c1.wallMs), '4': perMinute(c4.jobs - c4.failures.length, c4.wallMs) };
    const naiveThroughput = perMinute(naive.jobs - naive.failures.length, naive.wallMs);
    const failedJobs = c1.failures.length + c4.failures.length + burstFailures.length + sustained.failures.length + reportFailures.length;
    const sustainedProcess = summarize(sustainedRecords.map((r) => r.processMs));
    const reportMedian = Math.round(median(reports.map((r) => r.latencyMs)));
    const idealReport = Math.round((REPORT_PAGES * pageMedianMs) / 4);
    const figures = {
      overheadC1Ms: overheadOf(c1Timed),
      overheadC4Ms: overheadOf(c4Timed),
      burstRatio: ratio(burst.wallMs, burst.idealMs),
      galleryMaxDiffering: Math.max(...galleryChecks.map((g) => g.differing)),
      misbehavingOverTimeoutMs: Math.max(...misbehaving.map((m) => m.endedMs - m.timeoutMs)),
      rssGrowth: ratio(memEnd.rssMb, memStart.rssMb),
      failedJobs,
    };
    const results: BenchResults = {
      ...figures,
      date: new Date(startedAt).toISOString(),
      mode,
      story: BENCH_STORY,
      machine,
      pageMedianMs,
      workerMedianMs: medianOf(c1Timed, (t) => t.processMs),
      burst,
      gallery: galleryChecks,
      misbehaving,
      throughputPerMin: throughput,
      naiveThroughputPerMin: naiveThroughput,
      speedupVsNaive: ratio(throughput['4'], naiveThroughput),
      rssStartMb: memStart.rssMb,
      rssEndMb: memEnd.rssMb,
      goals: goalsOf(figures),
      configurations: [
        row('courier C=1', 'Redis + worker process, 1 job in flight', c1, peaks.one),
        row('courier C=4', 'Redis + worker process, 4 jobs in flight', c4, peaks.four),
        row('naive ×4', "a browser launched per job, 4 at a time; Grafana's default flags", naive, naivePeak),
        row(`sustained C=4`, `${plan.sustained} jobs queued at once (latency includes queueing)`, { latencies: sustained.jobs.map((j) => j.latencyMs), ids: [], failures: sustained.failures, jobs: plan.sustained, wallMs: sustained.wallMs }, sustainedPeak?.rssMb ?? null),
      ],
      phases: phasesOf(c1Records, c1Timed),
      sustained: {
        jobs: plan.sustained,
        concurrency: 4,
        throughputPerMin: perMinute(sustained.jobs.length, sustained.wallMs),
        processMedianMs: sustainedProcess.medianMs,
        processP95Ms: sustainedProcess.p95Ms,
        rssPeakMb: sustainedPeak?.rssMb ?? memEnd.rssMb,
        pssStartMb: memStart.pssMb,
        pssEndMb: memEnd.pssMb,
        processesStart: memStart.processes,
        processesEnd: memEnd.processes,
        browserRecycleAfter: Number(DEFAULTS.BROWSER_RECYCLE_AFTER),
        browserRestarts,
      },
      report: {
        pages: REPORT_PAGES,
        concurrency: 4,
        runs: reports.length,
        medianMs: reportMedian,
        idealMs: idealReport,
        ratioToIdeal: ratio(reportMedian, idealReport),
        timings: Object.fromEntries(['renderMs', 'assembleMs'].map((k) => [k, medianOf(reports, (r) => r.timings[k])])),
      },
      rounds,
      retriedJobs: [...c1Records, ...sustainedRecords].filter((r) => r.attempts > 1).length,
      naiveFailedJobs: naive.failures.length,
    };

    mkdirSync(flags.out, { recursive: true });
    writeFileSync(join(flags.out, 'latest.json'), `${JSON.stringify({ ...results, realApp: { ...realApp, sustained: sustainedCache } }, null, 2)}\n`);
    writeFileSync(join(flags.out, 'latest.md'), markdown(results) + realAppMarkdown(realApp, sustainedCache));
    const failures = [...c1.failures, ...c4.failures, ...burstFailures, ...sustained.failures, ...reportFailures, ...naive.failures, ...realApp.failures];
    if (failures.length > 0) say(`failures (first 5): ${failures.slice(0, 5).join(' | ')}`);
    process.stdout.write(`\n${markdown(results)}${realAppMarkdown(realApp, sustainedCache)}\n`);
    const missed = results.goals.filter((g) => !g.met);
    say(`wrote ${join(flags.out, 'latest.json')} and latest.md; ${missed.length === 0 ? 'every goal met' : `goals missed: ${missed.map((g) => g.key).join(', ')}`}`);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop().catch(() => null)));
    await env.dispose();
  }
}

/** A burst's wall time against its ideal: jobs / 4 × the median of its own pages' final-frame times. */
async function burstFigures(client: CourierClient, bursts: { wallMs: number; ids: string[] }[], beacons: Parameters<typeof againstPage>[1]): Promise<BurstFigures> {
  const timed = againstPage(await client.records(bursts.flatMap((b) => b.ids)), beacons);
  const pageMedianMs = medianOf(timed, (t) => t.finalFrameMs);
  const jobs = plan.burst;
  return { jobs, concurrency: 4, wallMs: Math.round(median(bursts.map((b) => b.wallMs))), pageMedianMs, idealMs: Math.round((jobs / 4) * pageMedianMs) };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

// `npm run bench [-- --quick] [-- --delay MS]`: the benchmark of issue 7.
//
// One run measures, side by side and interleaved in rounds (so the shared
// machine's noise falls on every configuration alike and cancels in the
// ratios), the same fixture story rendered:
//   floor        a warm page in a warm browser (what Chromium alone costs);
//   bare floor   the same, ready when the story says so (aria-busy="false");
//   naive        a browser launched per job, 4 at a time, as Grafana's renderer
//                launches it (and again with courier's Chromium flags);
//   courier      jobs through Redis and a real `courier worker` at CONCURRENCY 1, 2, 4;
// then a sustained run (500 jobs, 100 with --quick) sampling the worker's
// memory, and a 20-page PDF report. Writes bench/results/latest.json and
// latest.md. What each figure means: bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findChromium } from '../src/browser/pool.js';
import { DEFAULTS } from '../src/config.js';
import type { PdfReportJobInput } from '../src/contracts/pdf-report.js';
import { fromRoot } from '../src/paths.js';
import { CourierClient, type CourierRun, type JobRecord } from './lib/courier.js';
import { screenshotJob, startBenchEnvironment, storyPath, type BenchEnvironment } from './lib/environment.js';
import { WarmFloor, type PhaseSample, type StoryTarget } from './lib/floor.js';
import { describeMachine } from './lib/machine.js';
import { runNaive, type NaiveRun } from './lib/naive.js';
import { sampleTreeMemory, treeMemory, type TreeMemory } from './lib/proc-tree.js';
import { goalsOf, markdown, ratio, type BenchResults, type ConfigurationRow, type PhaseMedians } from './lib/results.js';
import { median, perMinute, summarize } from './lib/stats.js';
import { startWorkerProcess, type WorkerProcess } from '../src/demo/worker-process.js';

interface Plan {
  rounds: number;
  /** Per round: floor, bare floor and courier C=1 jobs, alternated one by one. */
  paired: number;
  c2: number;
  c4: number;
  naive: number;
  sustained: number;
  sustainedWarmUp: number;
  reportRuns: number;
}

const PLANS: Record<'full' | 'quick', Plan> = {
  // Short rounds, many of them: a burst of someone else's work on the machine falls on every configuration.
  full: { rounds: 6, paired: 6, c2: 8, c4: 12, naive: 8, sustained: 500, sustainedWarmUp: 24, reportRuns: 3 },
  quick: { rounds: 1, paired: 8, c2: 8, c4: 12, naive: 8, sustained: 100, sustainedWarmUp: 12, reportRuns: 1 },
};

const REPORT_PAGES = 20;
const SLIDES = ['sales', 'revenue', 'churn'];
const VIEWPORT = { width: 1280, height: 618, deviceScaleFactor: 1 };

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    delay: { type: 'string', default: '300' },
    out: { type: 'string', default: fromRoot('bench', 'results') },
  },
});
const mode = flags.quick ? 'quick' : 'full';
const plan = PLANS[mode];
const delayMs = Number(flags.delay);
if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60_000) throw new Error(`--delay expects milliseconds from 0 to 60000, got ${flags.delay}`);

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

function medianOf<T>(items: T[], pick: (item: T) => number | undefined): number {
  const values = items.map(pick).filter((v): v is number => v !== undefined);
  return Math.round(median(values));
}

function floorPhases(samples: PhaseSample[]): PhaseMedians {
  return {
    'queue pick-up': 0,
    'open (navigate to DOMContentLoaded)': medianOf(samples, (s) => s.openMs),
    ready: medianOf(samples, (s) => s.readyMs),
    capture: medianOf(samples, (s) => s.captureMs),
    'rest (context, artifact, result, events)': 0,
    total: medianOf(samples, (s) => s.totalMs),
  };
}

function courierPhases(records: JobRecord[], latencyById: Map<string, number>): PhaseMedians {
  const done = records.filter((r) => r.timings !== null);
  return {
    'queue pick-up': medianOf(done, (r) => r.pickupMs),
    'open (navigate to DOMContentLoaded)': medianOf(done, (r) => r.timings?.openMs),
    ready: medianOf(done, (r) => r.timings?.readyMs),
    capture: medianOf(done, (r) => r.timings?.captureMs),
    'rest (context, artifact, result, events)': medianOf(done, (r) => {
      const t = r.timings;
      const latency = latencyById.get(r.id);
      if (!t || latency === undefined) return undefined;
      return latency - r.pickupMs - (t.openMs ?? 0) - (t.readyMs ?? 0) - (t.captureMs ?? 0);
    }),
    total: medianOf(done, (r) => latencyById.get(r.id)),
  };
}

function reportJob(env: BenchEnvironment): PdfReportJobInput {
  return {
    title: 'Benchmark report',
    smallApp: 'bench',
    auth: { token: env.stack.token },
    deliver: [],
    pages: Array.from({ length: REPORT_PAGES }, (_, i) => ({ url: storyPath(delayMs, SLIDES[i % SLIDES.length]), title: `Page ${i + 1}` })),
  };
}

async function main(): Promise<void> {
  const chromiumPath = findChromium(process.env.CHROMIUM_PATH || undefined);
  const machine = describeMachine(chromiumPath);
  say(`courier benchmark, ${mode} run: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, ${machine.chromium}; story delay ${delayMs} ms`);

  const env = await startBenchEnvironment();
  const workers: WorkerProcess[] = [];
  const clients: CourierClient[] = [];
  let floor: WarmFloor | null = null;
  try {
    const target: StoryTarget = {
      url: `${env.stack.frontendUrl}${storyPath(delayMs)}`,
      token: env.stack.token,
      viewport: VIEWPORT,
      selector: DEFAULTS.SELECTOR,
      busySelector: DEFAULTS.BUSY_SELECTOR,
    };
    const job = () => screenshotJob(env.stack, delayMs);
    floor = await WarmFloor.start(target, chromiumPath);
    const warmFloor = floor;

    // Three workers, one per concurrency, each on its own queue prefix; idle ones only wait on Redis.
    const levels = [1, 2, 4] as const;
    const courier = new Map<number, { worker: WorkerProcess; client: CourierClient; memory: ReturnType<typeof sampleTreeMemory> }>();
    for (const c of levels) {
      const prefix = `bench-c${c}`;
      const worker = await startWorkerProcess(env.workerEnv(prefix, c), { keepLines: false });
      const client = new CourierClient(env.producerConfig(prefix));
      workers.push(worker);
      clients.push(client);
      courier.set(c, { worker, client, memory: sampleTreeMemory(worker.pid, 500) });
    }
    const at = (c: number) => courier.get(c)!;
    say('workers started at CONCURRENCY 1, 2 and 4; warming up');

    for (let i = 0; i < 3; i++) await warmFloor.measure(target, 'engine');
    await warmFloor.measure(target, 'bare');
    for (const c of levels) await at(c).client.run(job, 2 * c, c);
    const naivePids = new Set<number>();
    const onBrowser = (pid: number, running: boolean) => void (running ? naivePids.add(pid) : naivePids.delete(pid));
    await runNaive(target, 'bare', 1, 1, { chromiumPath, flags: 'stock' });
    await runNaive(target, 'bare', 1, 1, { chromiumPath, flags: 'courier' });

    const floorMemory = sampleTreeMemory(warmFloor.pid() ?? process.pid, 500);
    const floorSamples: PhaseSample[] = [];
    const bareSamples: PhaseSample[] = [];
    const c1 = collected();
    const c2 = collected();
    const c4 = collected();
    const naive = collected();
    const naiveTuned = collected();
    let naivePeak = 0;
    let naiveTunedPeak = 0;
    const rounds: BenchResults['rounds'] = [];

    for (let round = 0; round < plan.rounds; round++) {
      // Floor, bare floor and courier C=1 alternate job by job: the pairs see the same machine.
      const roundFloor: number[] = [];
      const roundCourier: number[] = [];
      for (let i = 0; i < plan.paired; i++) {
        const f = await warmFloor.measure(target, 'engine');
        floorSamples.push(f);
        roundFloor.push(f.totalMs);
        bareSamples.push(await warmFloor.measure(target, 'bare'));
        const run = await at(1).client.run(job, 1, 1);
        addCourier(c1, run);
        roundCourier.push(...run.jobs.map((j) => j.latencyMs));
      }
      const floorMedian = Math.round(median(roundFloor));
      const courierMedian = Math.round(median(roundCourier));
      rounds.push({ floorMs: floorMedian, courierMs: courierMedian, ratio: ratio(courierMedian, floorMedian) });
      // The parallel configurations, in an order that turns each round.
      const segments = [
        async () => addCourier(c2, await at(2).client.run(job, plan.c2, 2)),
        async () => addCourier(c4, await at(4).client.run(job, plan.c4, 4)),
        async () => {
          const memory = sampleLiveTrees(naivePids);
          addNaive(naive, await runNaive(target, 'bare', plan.naive, 4, { chromiumPath, onBrowser, flags: 'stock' }));
          naivePeak = Math.max(naivePeak, memory.stop());
        },
        async () => {
          const memory = sampleLiveTrees(naivePids);
          addNaive(naiveTuned, await runNaive(target, 'bare', plan.naive, 4, { chromiumPath, onBrowser, flags: 'courier' }));
          naiveTunedPeak = Math.max(naiveTunedPeak, memory.stop());
        },
      ];
      for (let s = 0; s < segments.length; s++) await segments[(s + round) % segments.length]!();
      say(`round ${round + 1}/${plan.rounds}: floor ${floorMedian} ms, courier C=1 ${courierMedian} ms (×${ratio(courierMedian, floorMedian)})`);
    }
    const floorPeak = floorMemory.stop()?.rssMb ?? null;

    // A 20-page report on the warm CONCURRENCY 4 worker.
    const reports: { latencyMs: number; timings: Record<string, number | undefined> }[] = [];
    const reportFailures: string[] = [];
    for (let i = 0; i < plan.reportRuns; i++) {
      try {
        const { latencyMs, result } = await at(4).client.report(reportJob(env));
        reports.push({ latencyMs, timings: result.timings });
      } catch (err) {
        reportFailures.push(err instanceof Error ? err.message : String(err));
      }
    }
    say(`pdf report (${REPORT_PAGES} pages): ${reports.map((r) => Math.round(r.latencyMs)).join(', ')} ms`);

    const c1Records = await at(1).client.records(c1.ids);
    const otherRecords = [...(await at(2).client.records(c2.ids)), ...(await at(4).client.records(c4.ids))];
    const peaks = new Map(levels.map((c) => [c, at(c).memory.stop()?.rssMb ?? null]));
    for (const c of levels) await at(c).worker.stop();

    // Sustained: a fresh worker, warmed up, then a backlog of jobs.
    say(`sustained: ${plan.sustained} jobs at CONCURRENCY 4`);
    const sustainedWorker = await startWorkerProcess(env.workerEnv('bench-sustained', 4), { keepLines: false });
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
    say(`sustained: ${sustained.jobs.length} done, ${sustained.failures.length} failed in ${(sustained.wallMs / 1000).toFixed(1)} s; RSS ${memStart.rssMb} → ${memEnd.rssMb} MB`);

    // The figures.
    const floorMs = Math.round(median(floorSamples.map((s) => s.totalMs)));
    const courierMedianMs = Math.round(median(c1.latencies));
    const throughput = { '1': perMinute(c1.jobs - c1.failures.length, c1.wallMs), '2': perMinute(c2.jobs - c2.failures.length, c2.wallMs), '4': perMinute(c4.jobs - c4.failures.length, c4.wallMs) };
    const naiveThroughput = perMinute(naive.jobs - naive.failures.length, naive.wallMs);
    const naiveTunedThroughput = perMinute(naiveTuned.jobs - naiveTuned.failures.length, naiveTuned.wallMs);
    const allRecords = [...c1Records, ...otherRecords, ...sustainedRecords];
    const failedJobs = c1.failures.length + c2.failures.length + c4.failures.length + sustained.failures.length + reportFailures.length;
    const floorWall = floorSamples.reduce((sum, s) => sum + s.totalMs, 0);
    const bareWall = bareSamples.reduce((sum, s) => sum + s.totalMs, 0);
    const sustainedProcess = summarize(sustainedRecords.map((r) => r.processMs));
    const reportMedian = Math.round(median(reports.map((r) => r.latencyMs)));
    const idealReport = Math.round((REPORT_PAGES * floorMs) / 4);
    const keys = {
      floorMs,
      courierMedianMs,
      overheadRatio: ratio(courierMedianMs, floorMs),
      throughputPerMin: throughput,
      naiveThroughputPerMin: naiveThroughput,
      speedupVsNaive: ratio(throughput['4'], naiveThroughput),
      rssStartMb: memStart.rssMb,
      rssEndMb: memEnd.rssMb,
      rssGrowth: ratio(memEnd.rssMb, memStart.rssMb),
      failedJobs,
    };
    const latencyById = new Map(c1.ids.map((id, i) => [id, c1.latencies[i]!]));
    const results: BenchResults = {
      ...keys,
      date: new Date(startedAt).toISOString(),
      mode,
      storyDelayMs: delayMs,
      machine,
      bareFloorMs: Math.round(median(bareSamples.map((s) => s.totalMs))),
      goals: goalsOf(keys),
      configurations: [
        row('floor', 'warm page, warm browser; courier readiness rules', { latencies: floorSamples.map((s) => s.totalMs), ids: [], failures: [], jobs: floorSamples.length, wallMs: floorWall }, floorPeak),
        row('bare floor', 'the same, ready at aria-busy="false"', { latencies: bareSamples.map((s) => s.totalMs), ids: [], failures: [], jobs: bareSamples.length, wallMs: bareWall }, floorPeak),
        row('naive ×4', "a browser launched per job, 4 at a time; Grafana's default flags", naive, naivePeak),
        row('naive ×4, tuned', "the same with courier's Chromium flags", naiveTuned, naiveTunedPeak),
        row('courier C=1', 'Redis + worker process, 1 job in flight', c1, peaks.get(1) ?? null),
        row('courier C=2', 'Redis + worker process, 2 jobs in flight', c2, peaks.get(2) ?? null),
        row('courier C=4', 'Redis + worker process, 4 jobs in flight', c4, peaks.get(4) ?? null),
        row(`sustained C=4`, `${plan.sustained} jobs queued at once (latency includes queueing)`, { latencies: sustained.jobs.map((j) => j.latencyMs), ids: [], failures: sustained.failures, jobs: plan.sustained, wallMs: sustained.wallMs }, sustainedPeak?.rssMb ?? null),
      ],
      phases: { floor: floorPhases(floorSamples), courier: courierPhases(c1Records, latencyById) },
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
      retriedJobs: allRecords.filter((r) => r.attempts > 1).length,
      naiveFailedJobs: naive.failures.length + naiveTuned.failures.length,
      naiveTunedThroughputPerMin: naiveTunedThroughput,
      speedupVsTunedNaive: ratio(throughput['4'], naiveTunedThroughput),
    };

    mkdirSync(flags.out, { recursive: true });
    writeFileSync(join(flags.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(flags.out, 'latest.md'), markdown(results));
    const failures = [...c1.failures, ...c2.failures, ...c4.failures, ...sustained.failures, ...reportFailures, ...naive.failures, ...naiveTuned.failures];
    if (failures.length > 0) say(`failures (first 5): ${failures.slice(0, 5).join(' | ')}`);
    process.stdout.write(`\n${markdown(results)}\n`);
    say(`wrote ${join(flags.out, 'latest.json')} and latest.md; ${results.goals.filter((g) => !g.met).length === 0 ? 'every goal met' : `goals missed: ${results.goals.filter((g) => !g.met).map((g) => g.key).join(', ')}`}`);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop().catch(() => null)));
    await floor?.close().catch(() => undefined);
    await env.dispose();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

// The benchmark's results: the figures the issue names (fixed JSON keys),
// the goals they are held to, and the markdown table the README quotes.
// Pure: data in, data or text out.
import type { Machine } from './machine.js';
import { round2 } from './stats.js';

/** One line of the table: a way of rendering the story, measured. */
export interface ConfigurationRow {
  name: string;
  /** How it was run, in a few words. */
  how: string;
  jobs: number;
  failed: number;
  medianMs: number;
  p95Ms: number;
  throughputPerMin: number;
  /** Peak RSS of the processes doing the work (see bench/README.md); null when not sampled. */
  peakRssMb: number | null;
}

/** Median milliseconds of each step of one job. */
export type PhaseMedians = Record<string, number>;

export interface Goal {
  key: 'overheadRatio' | 'speedupVsNaive' | 'rssGrowth' | 'failedJobs';
  value: number;
  goal: string;
  met: boolean;
}

export interface BenchResults {
  // The keys of issue 7, exactly.
  floorMs: number;
  courierMedianMs: number;
  overheadRatio: number;
  throughputPerMin: { '1': number; '2': number; '4': number };
  naiveThroughputPerMin: number;
  speedupVsNaive: number;
  rssStartMb: number;
  rssEndMb: number;
  rssGrowth: number;
  failedJobs: number;
  // Everything else.
  date: string;
  mode: 'full' | 'quick';
  storyDelayMs: number;
  machine: Machine;
  bareFloorMs: number;
  goals: Goal[];
  configurations: ConfigurationRow[];
  /** Where a job's time goes: the floor's steps and courier's at concurrency 1. */
  phases: { floor: PhaseMedians; courier: PhaseMedians };
  sustained: {
    jobs: number;
    concurrency: number;
    throughputPerMin: number;
    processMedianMs: number;
    processP95Ms: number;
    rssPeakMb: number;
    pssStartMb: number | null;
    pssEndMb: number | null;
    /** Processes in the worker's tree (node, Chromium's browser, zygotes, renderers, GPU, utilities). */
    processesStart: number;
    processesEnd: number;
    browserRecycleAfter: number;
    browserRestarts: number;
  };
  report: {
    pages: number;
    concurrency: number;
    runs: number;
    medianMs: number;
    /** 20 × floorMs / concurrency: the report's pages, were each as cheap as the floor and perfectly parallel. */
    idealMs: number;
    ratioToIdeal: number;
    timings: PhaseMedians;
  };
  /** Floor and courier C=1 medians of each round, to show the run's noise. */
  rounds: { floorMs: number; courierMs: number; ratio: number }[];
  retriedJobs: number;
  naiveFailedJobs: number;
  /** The naive way with courier's Chromium flags, and courier at 4 against it. */
  naiveTunedThroughputPerMin: number;
  speedupVsTunedNaive: number;
}

export function goalsOf(r: Pick<BenchResults, 'overheadRatio' | 'speedupVsNaive' | 'rssGrowth' | 'failedJobs'>): Goal[] {
  return [
    { key: 'overheadRatio', value: r.overheadRatio, goal: '≤ 1.15', met: r.overheadRatio <= 1.15 },
    { key: 'speedupVsNaive', value: r.speedupVsNaive, goal: '≥ 3', met: r.speedupVsNaive >= 3 },
    { key: 'rssGrowth', value: r.rssGrowth, goal: '≤ 1.10', met: r.rssGrowth <= 1.1 },
    { key: 'failedJobs', value: r.failedJobs, goal: '0', met: r.failedJobs === 0 },
  ];
}

const ms = (n: number) => `${Math.round(n)} ms`;
const mb = (n: number | null) => (n === null ? '—' : `${n} MB`);

export function markdown(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    `# courier benchmark (${r.mode} run)`,
    '',
    `${r.date} · ${m.cpuModel}, ${m.cores} cores, ${m.ramGb} GB RAM · ${m.os} · Node ${m.node} · ${m.chromium} · load average ${m.loadAverage} at start`,
    '',
    `Story: the bundled fixture (\`/demo?slide=sales&delay=${r.storyDelayMs}\`), ready ${r.storyDelayMs} ms after its data call; PNG of the 1000×520 story element in a 1280×618 viewport.`,
    '',
    '| configuration | how | jobs | failed | median | p95 | jobs/min | peak RSS |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
    ...r.configurations.map((c) => `| ${c.name} | ${c.how} | ${c.jobs} | ${c.failed} | ${ms(c.medianMs)} | ${ms(c.p95Ms)} | ${c.throughputPerMin} | ${mb(c.peakRssMb)} |`),
    '',
    '| figure | value | goal | |',
    '|---|--:|--:|---|',
    ...r.goals.map((g) => `| \`${g.key}\` | ${g.key === 'failedJobs' ? g.value : g.value.toFixed(2)} | ${g.goal} | ${g.met ? 'met' : '**missed**'} |`),
    '',
    `floorMs ${r.floorMs} · courierMedianMs ${r.courierMedianMs} · bare floor ${r.bareFloorMs} ms (readiness costs ${r.floorMs - r.bareFloorMs} ms of the floor) · ` +
      `throughput/min C=1 ${r.throughputPerMin['1']}, C=2 ${r.throughputPerMin['2']}, C=4 ${r.throughputPerMin['4']} · naive ×4 ${r.naiveThroughputPerMin} ` +
      `(with courier's flags ${r.naiveTunedThroughputPerMin}: courier at 4 is ×${r.speedupVsTunedNaive} that)`,
    '',
    `Sustained: ${r.sustained.jobs} jobs at CONCURRENCY ${r.sustained.concurrency}, ${r.sustained.throughputPerMin} jobs/min, ` +
      `in-worker time median ${ms(r.sustained.processMedianMs)} (p95 ${ms(r.sustained.processP95Ms)}); ` +
      `RSS of worker + Chromium ${r.rssStartMb} MB after warm-up → ${r.rssEndMb} MB at the end (×${r.rssGrowth.toFixed(2)}), peak ${r.sustained.rssPeakMb} MB; ` +
      `PSS ${mb(r.sustained.pssStartMb)} → ${mb(r.sustained.pssEndMb)}; ${r.sustained.processesStart} → ${r.sustained.processesEnd} processes; browser recycled every ${r.sustained.browserRecycleAfter} pages (${r.sustained.browserRestarts} times).`,
    '',
    `PDF report: ${r.report.pages} pages at CONCURRENCY ${r.report.concurrency}, median of ${r.report.runs}: ${ms(r.report.medianMs)} ` +
      `against 20 × floor / ${r.report.concurrency} = ${ms(r.report.idealMs)} (×${r.report.ratioToIdeal}; each report page is captured twice, as vector PDF and as PNG at scale 2, then assembled: ` +
      `rendering ${ms(r.report.timings.renderMs ?? 0)}, assembly ${ms(r.report.timings.assembleMs ?? 0)}).`,
    '',
    '| step (median) | floor | courier C=1 |',
    '|---|--:|--:|',
    ...phaseRows(r.phases.floor, r.phases.courier),
    '',
    `Rounds (floor / courier C=1 / ratio): ${r.rounds.map((x) => `${x.floorMs} / ${x.courierMs} / ${x.ratio}`).join(' · ')}`,
    '',
  ];
  return lines.join('\n');
}

function phaseRows(floor: PhaseMedians, courier: PhaseMedians): string[] {
  const keys = [...new Set([...Object.keys(courier), ...Object.keys(floor)])];
  return keys.map((k) => `| ${k} | ${floor[k] === undefined ? '—' : ms(floor[k])} | ${courier[k] === undefined ? '—' : ms(courier[k])} |`);
}

export function ratio(a: number, b: number): number {
  return b > 0 ? round2(a / b) : 0;
}

// Prometheus metrics (CONTRACT §6), on a registry of their own so two
// workers in one test process never share counters. Phase names are the
// ones of `timings` (openMs → phase "open"), so a slow phase reads the same
// in a result, a log line and a dashboard.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QUEUE_NAMES, type QueueName } from '../contracts/queues.js';
import type { LastRun } from '../history/store.js';
import type { Phase, PhaseEvent } from '../phases.js';

export const JOB_OUTCOMES = ['completed', 'failed', 'retried'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** Queue states reported by courier_queue_jobs (BullMQ's names). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export type QueueCounts = Partial<Record<QueueName, Partial<Record<QueueState, number>>>>;

export interface MetricsSources {
  /** Pages open right now (BrowserPool.pagesInUse). */
  pagesInUse?: () => number;
  /** Job counts per queue and state, read at scrape time; may reject (Redis down). */
  queueCounts?: () => Promise<QueueCounts>;
  /** Seconds the oldest job of each queue has waited for a worker, read at scrape time; may reject. */
  oldestWaiting?: () => Promise<Partial<Record<QueueName, number>>>;
  /** When each schedule's runs last ended with each outcome (its scheduler still there), read at scrape time; may reject. */
  scheduleLastRuns?: () => Promise<LastRun[]>;
  /** What the shared asset cache holds now. */
  assetCache?: () => { bytes: number; entries: number };
  /**
   * Labels on every series, e.g. { worker: POD_NAME }: with several pods, each
   * pod's series stay apart even when scraped through one Service or summed.
   */
  defaultLabels?: Record<string, string>;
}

export interface Metrics {
  readonly registry: Registry;
  countJob(queue: QueueName, outcome: JobOutcome): void;
  /** A failed attempt, by its error code and the phase it escaped from. */
  countJobError(queue: QueueName, code: string, phase: string): void;
  /** One phase of one job ended (render phases per page), whether it succeeded or failed. */
  observePhase(queue: QueueName, phase: Phase | 'queued' | 'total', ms: number, outcome: Exclude<PhaseEvent, 'started'>): void;
  countDelivery(channel: string, outcome: string): void;
  countBrowserRestart(reason: string): void;
  /** One answer of the shared asset cache: hit, revalidated, miss or private (fetched, not shareable). */
  countAssetCache(outcome: string, bytes: number): void;
  /** The Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Buckets from 50 ms to 5 min: renders take hundreds of ms to tens of seconds. */
const PHASE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  if (sources.defaultLabels) registry.setDefaultLabels(sources.defaultLabels);
  collectDefaultMetrics({ register: registry, prefix: 'courier_' });

  const jobs = new Counter({
    name: 'courier_jobs_total',
    help: 'Job attempts by queue and outcome: completed, retried (this attempt failed, another follows) or failed (the last attempt failed)',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
  });
  const phases = new Histogram({
    name: 'courier_phase_duration_seconds',
    help: 'Duration of each phase of a job (queued, open, ready, annotate, capture, render, fetch, assemble, deliver, and total), whether it succeeded (outcome="ok") or failed',
    labelNames: ['queue', 'phase', 'outcome'],
    buckets: PHASE_BUCKETS,
    registers: [registry],
  });
  const jobErrors = new Counter({
    name: 'courier_job_errors_total',
    help: 'Failed job attempts by queue, error code (CONTRACT §5; UNEXPECTED for a bug) and the phase the error escaped from',
    labelNames: ['queue', 'code', 'phase'],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'courier_deliveries_total',
    help: 'Deliveries by channel (email, teams) and outcome (sent, already-sent, failed), one per target',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'courier_browser_restarts_total',
    help: 'Chromium relaunches, by reason: crash (it died or disconnected) or recycle (page budget reached)',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'courier_pages_in_use',
    help: 'Browser pages rendering right now (at most CONCURRENCY)',
    registers: [registry],
    collect() {
      if (sources.pagesInUse) this.set(sources.pagesInUse());
    },
  });
  new Gauge({
    name: 'courier_queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!sources.queueCounts) return;
      let counts: QueueCounts;
      try {
        counts = await sources.queueCounts();
      } catch {
        // Redis unreachable: no sample rather than a stale or zero one.
        this.reset();
        return;
      }
      this.reset();
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, value] of Object.entries(states)) this.set({ queue, state }, value);
      }
    },
  });

  new Gauge({
    name: 'courier_queue_oldest_waiting_seconds',
    help: 'How long the oldest job of each queue has been waiting for a worker (0 when none waits), read from Redis at scrape time',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      if (!sources.oldestWaiting) return;
      const ages = await sources.oldestWaiting().catch(() => null);
      this.reset();
      for (const [queue, seconds] of Object.entries(ages ?? {})) this.set({ queue }, seconds);
    },
  });
  new Gauge({
    name: 'courier_schedule_last_run_timestamp_seconds',
    help: "When a schedule's run last ended with each outcome (delivered, nothing-to-send, failed), from the schedule history; schedules whose job scheduler is gone are left out",
    labelNames: ['queue', 'schedule', 'outcome'],
    registers: [registry],
    async collect() {
      if (!sources.scheduleLastRuns) return;
      const runs = await sources.scheduleLastRuns().catch(() => null);
      // Redis unreachable: no sample rather than a stale one (an alert on absence is the operator's choice).
      this.reset();
      for (const run of runs ?? []) this.set({ queue: run.queue, schedule: run.scheduleId, outcome: run.outcome }, run.at / 1000);
    },
  });

  const cacheAnswers = new Counter({
    name: 'courier_asset_cache_requests_total',
    help: 'Static files the shared asset cache answered, by outcome (hit, revalidated: 304 from the server, miss: fetched and stored, private: fetched, not shareable)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const cacheBytes = new Counter({
    name: 'courier_asset_cache_served_bytes_total',
    help: 'Bytes the shared asset cache handed to pages, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'courier_asset_cache_bytes',
    help: 'Bytes held by the shared asset cache (bounded by ASSET_CACHE_MB)',
    registers: [registry],
    collect() {
      if (sources.assetCache) this.set(sources.assetCache().bytes);
    },
  });
  new Gauge({
    name: 'courier_asset_cache_entries',
    help: 'Files held by the shared asset cache',
    registers: [registry],
    collect() {
      if (sources.assetCache) this.set(sources.assetCache().entries);
    },
  });

  // Known series start at zero, so a rate() over them works from the first scrape.
  for (const outcome of ['hit', 'revalidated', 'miss', 'private']) {
    cacheAnswers.inc({ outcome }, 0);
    cacheBytes.inc({ outcome }, 0);
  }
  for (const queue of QUEUE_NAMES) for (const outcome of JOB_OUTCOMES) jobs.inc({ queue, outcome }, 0);
  for (const channel of ['email', 'teams']) for (const outcome of ['sent', 'already-sent', 'failed']) deliveries.inc({ channel, outcome }, 0);
  for (const reason of ['crash', 'recycle']) restarts.inc({ reason }, 0);

  return {
    registry,
    countJob: (queue, outcome) => jobs.inc({ queue, outcome }),
    countJobError: (queue, code, phase) => jobErrors.inc({ queue, code, phase }),
    observePhase: (queue, phase, ms, outcome) => phases.observe({ queue, phase, outcome }, ms / 1000),
    countDelivery: (channel, outcome) => deliveries.inc({ channel, outcome }),
    countBrowserRestart: (reason) => restarts.inc({ reason }),
    countAssetCache: (outcome, bytes) => {
      cacheAnswers.inc({ outcome });
      cacheBytes.inc({ outcome }, bytes);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

// The worker process, assembled: one warm browser pool shared by the queue
// consumers, the delivery service, the artifact store and its TTL sweep,
// metrics, and the HTTP port. `courier worker` starts it and calls close()
// on SIGTERM/SIGINT; tests start it in-process the same way.
import { Queue } from 'bullmq';
import { createAlertStore } from '../alerts/store.js';
import { createArtifactLinks } from '../artifacts/links.js';
import { createArtifactStore } from '../artifacts/store.js';
import { startArtifactSweeper } from '../artifacts/sweep.js';
import { BrowserPool } from '../browser/pool.js';
import { prepareStoryPage } from '../browser/story-page.js';
import { createRenderer } from '../browser/render.js';
import { TrafficLayer } from '../browser/traffic/traffic-layer.js';
import type { Config } from '../config.js';
import { QUEUE_NAMES, type QueueName } from '../contracts/index.js';
import { createDeliveryService } from '../delivery/deliver.js';
import { createEmailSenderFromConfig } from '../delivery/email.js';
import { createReceiptLedger } from '../delivery/ledger.js';
import { createTeamsSender } from '../delivery/teams.js';
import { createChannelPace } from '../delivery/teams-pace.js';
import { withTimeout } from '../deadline.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { createProcessors } from '../processors/index.js';
import type { ProcessorRegistry } from '../processors/types.js';
import { startHttpServer, type AdminConsole, type ReadinessOutcome, type RunningHttpServer } from '../server/http.js';
import { QUEUE_STATES, createMetrics, type Metrics, type QueueCounts } from '../server/metrics.js';
import { bullConnection, closeQuietly, createRedisClient, describeRedis, redisPing, replicaConfirmer, topologyOf, whereIsRedis } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { createScheduleHistory } from '../history/store.js';
import { queueOldestWaitingSeconds } from './backlog.js';
import { lastRunsOfLiveSchedules } from './history-recorder.js';
import { startQueueWorkers, type LOCK_SETTINGS, type QueueWorkers } from './worker.js';

/** How long /readyz and /metrics wait for Redis before saying it is not there. */
const REDIS_CHECK_TIMEOUT_MS = 1000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return withTimeout(work, ms, () => new Error(`no answer within ${ms} ms`));
}

export interface WorkerRuntimeOptions {
  config: Config;
  log: Logger;
  /** Queues to consume (default: all three). */
  queues?: QueueName[];
  /** Overrides CONCURRENCY: pages at once, and jobs per queue. */
  concurrency?: number;
  /** Lock overrides (tests of stalled-job recovery may shorten them). */
  lock?: Partial<typeof LOCK_SETTINGS>;
  processors?: ProcessorRegistry;
  /** HTTP bind address (default all interfaces). */
  httpHost?: string;
  /** The clock jobs start by and alert state is stamped with (default Date.now); tests move it instead of waiting. */
  now?: () => number;
  /** The console at /admin/ (made by `courier worker` when ADMIN_TOKEN is set); closed with the runtime. */
  admin?: AdminConsole;
}

export interface WorkerRuntime {
  pool: BrowserPool;
  metrics: Metrics;
  http: RunningHttpServer | null;
  workers: QueueWorkers;
  queues: QueueName[];
  concurrency: number;
  /** Drains (no new jobs, active ones finish) and closes everything. */
  close(): Promise<void>;
}

export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { log } = options;
  const concurrency = options.concurrency ?? options.config.concurrency;
  const config: Config = { ...options.config, concurrency };
  const queues = options.queues ?? [...QUEUE_NAMES];

  // Redis: one client for our own keys (receipts, alert state), one that
  // fails fast for health checks, and queues that fail fast for the depth gauges.
  const redis = createRedisClient(config);
  const probe = createRedisClient(config, { failFast: true });
  const countConnection = bullConnection(config, 'producer');
  const countQueues = QUEUE_NAMES.map((name) => new Queue(name, { connection: countConnection.connection, prefix: config.queuePrefix }));
  for (const q of countQueues) q.on('error', () => undefined); // reported by /readyz, not as unhandled errors
  // Each (re)connection says where courier's keys are now: after a failover, the new master.
  redis.on('ready', () => {
    whereIsRedis(redis, config).then(
      (where) => log.info({ ...where }, 'connected to Redis'),
      (err: unknown) => log.warn({ reason: explainRedisError(err).reason }, 'connected to Redis, but cannot tell which node is master'),
    );
  });
  // Receipts and alert commits wait until a replica has them (Sentinel, Cluster): a promoted replica then has them too.
  const confirm = replicaConfirmer(redis, { config, log });

  // /readyz: Redis answers, plus its topology, the master now, and if it does not answer, why.
  let probeError: unknown = null;
  probe.on('error', (err: unknown) => (probeError = err));
  probe.on('ready', () => (probeError = null));
  const redisReadiness = async (): Promise<ReadinessOutcome> => {
    const ok = await redisPing(probe, REDIS_CHECK_TIMEOUT_MS);
    const where = await withDeadline(whereIsRedis(probe, config), REDIS_CHECK_TIMEOUT_MS).catch(() => ({ topology: topologyOf(config), master: null }));
    return { ok, detail: { ...where, ...(ok ? {} : { reason: probeError ? explainRedisError(probeError).reason : 'no answer within 1 s' }) } };
  };

  const queueCounts = async (): Promise<QueueCounts> => {
    if (!(await redisPing(probe, REDIS_CHECK_TIMEOUT_MS))) throw new Error('Redis does not answer');
    const entries = await Promise.all(countQueues.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const));
    return Object.fromEntries(entries);
  };
  // Each scheduled run, recorded by the workers; read by the last-run metric (and `courier schedules history`).
  const history = createScheduleHistory({ redis, prefix: config.queuePrefix, retentionMs: config.scheduleHistorySeconds * 1000 });
  const oldestWaiting = async (): Promise<Partial<Record<QueueName, number>>> => {
    if (!(await redisPing(probe, REDIS_CHECK_TIMEOUT_MS))) throw new Error('Redis does not answer');
    return Object.fromEntries(await Promise.all(countQueues.map(async (q) => [q.name, await queueOldestWaitingSeconds(q)] as const)));
  };
  const scheduleLastRuns = async () => {
    if (!(await redisPing(probe, REDIS_CHECK_TIMEOUT_MS))) throw new Error('Redis does not answer');
    return lastRunsOfLiveSchedules(history, probe, countQueues);
  };
  // The pool's restart hook and the cache's hook only fire once jobs run, when `metrics` exists.
  const traffic = new TrafficLayer({ log, assetCacheBytes: config.assetCacheBytes, onCacheServed: (outcome, bytes) => metrics.countAssetCache(outcome, bytes) });
  const browserPool = new BrowserPool({ config, log, traffic, prepareAhead: true, setUpPage: prepareStoryPage, onRestart: (reason) => metrics.countBrowserRestart(reason) });
  const metrics = createMetrics({ pagesInUse: () => browserPool.pagesInUse, queueCounts, oldestWaiting, scheduleLastRuns, assetCache: () => traffic.cache?.size ?? { bytes: 0, entries: 0 }, defaultLabels: { worker: config.podName } });
  const renderer = createRenderer({ config, pool: browserPool, log });

  const artifacts = createArtifactStore({ dir: config.artifactsDir });
  // Every signed link made by this worker keeps its file from the sweep while it lives.
  const links = createArtifactLinks({ config });
  const delivery = createDeliveryService({
    config,
    log,
    ledger: createReceiptLedger({ redis, prefix: config.queuePrefix, confirm }),
    email: createEmailSenderFromConfig(config, log, links),
    teams: config.microsoft.appId !== null ? createTeamsSender({ config, log, links, pace: createChannelPace({ redis, prefix: config.queuePrefix }) }) : null,
    onDelivery: (channel, outcome) => metrics.countDelivery(channel, outcome),
  });
  const sweeper = startArtifactSweeper({ root: artifacts.root, ttlDays: config.artifactsTtlDays, log });

  let warm = false;
  const http =
    config.httpPort === 0
      ? null
      : await startHttpServer(
          {
            log,
            metrics,
            readiness: {
              redis: redisReadiness,
              chromium: () => warm && browserPool.health() !== 'down',
            },
            artifactsRoot: artifacts.root,
            // Without ARTIFACT_LINK_SECRET, /artifacts/ opens only the console's own links.
            linkSecret: config.artifactLinkSecret ?? options.admin?.linkSecret ?? null,
            metricsToken: config.metricsToken,
            admin: options.admin ?? null,
          },
          { port: config.httpPort, host: options.httpHost },
        );

  // Start warm, so the first job does not pay for the launch and /readyz tells the truth.
  try {
    await browserPool.warmUp();
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'Chromium did not start; /readyz stays 503 and each job will try again');
  }
  warm = true;

  const schedulerData = async (queue: QueueName, schedulerId: string): Promise<unknown> => (await countQueues.find((q) => q.name === queue)?.getJobScheduler(schedulerId))?.template?.data;
  const workers = startQueueWorkers(
    { config, log, metrics, renderer, delivery, artifacts, links, alerts: createAlertStore({ redis, prefix: config.queuePrefix, confirm, now: options.now }), processors: options.processors ?? createProcessors(), now: options.now, schedulerData, history },
    { queues, concurrency, lock: options.lock },
  );
  log.info(
    { queues, concurrency, redis: describeRedis(config), topology: topologyOf(config), prefix: config.queuePrefix, httpPort: http?.port ?? null, artifactsDir: artifacts.root, jobTimeoutMs: config.jobTimeoutMs },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  return {
    pool: browserPool,
    metrics,
    http,
    workers,
    queues,
    concurrency,
    close() {
      closing ??= (async () => {
        sweeper.stop();
        await workers.close();
        await browserPool.close();
        await traffic.close();
        await delivery.close();
        await Promise.all(countQueues.map(closeQuietly));
        countConnection.release();
        redis.disconnect();
        probe.disconnect();
        await http?.close();
        await options.admin?.close();
      })();
      return closing;
    },
  };
}

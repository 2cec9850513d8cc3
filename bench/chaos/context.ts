// What one scenario runs against: its own Toucan stack, SMTP server, Bot
// Connector stand-in, queue prefix and artifacts directory (so scenarios
// can run side by side without seeing each other), the real `courier
// worker` processes it starts, the jobs it submits, and the checks it makes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { loadConfig, type Config } from '../../src/config.js';
import type { QueueName } from '../../src/contracts/index.js';
import { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { RedisServer, deleteKeysUnder } from '../../src/demo/redis-server.js';
import { RedisClusterGroup, SentinelGroup } from '../../src/demo/redis-topology.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';
import { bullConnection, type BullConnection } from '../../src/redis/connection.js';
import { InvalidJobError, createProducer, type EnqueueOptions, type JobInputByQueue, type Producer } from '../../src/queue/producer.js';
import { alertJob, reportJob, shareJob, type Audience, type StackRefs, type StoryOptions } from './jobs.js';
import { tally, type Expectation, type FinalState, type TrackedJob, type Verdict } from './tally.js';
import { spawnWorkerProcess, workerStarted, type WorkerProcess } from '../../src/demo/worker-process.js';

const BOT = { appId: 'chaos-bot', password: 'chaos-bot-secret-0123456789' };
const POLL_MS = 200;
/** How long a submission is tried again while Redis does not answer. */
const ENQUEUE_PATIENCE_MS = 60_000;

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ContextOptions {
  /** A short id: part of the queue prefix, recipients and channels. */
  id: string;
  /** The shared Redis (REDIS_URL), unless `privateRedis`. */
  redisUrl: string;
  /** A redis-server of the scenario's own, persistent, that it may restart. */
  privateRedis?: boolean;
  /** A Redis Cluster or Sentinel group of the scenario's own (redis-topology.ts), whose failover it triggers. */
  topology?: 'cluster' | 'sentinel';
  /** NODE_EXTRA_CA_CERTS for the workers: must trust the stand-in's loopback CA. */
  extraCaCerts: string;
  /** Progress lines for people. */
  print: (line: string) => void;
  /** When set, every worker's log lines are written there (<scenario>-<worker>.log) at the end. */
  logDir?: string;
}

export class ScenarioContext {
  readonly id: string;
  readonly prefix: string;
  readonly checks: Check[] = [];
  readonly jobs: TrackedJob[] = [];
  readonly workers: WorkerProcess[] = [];
  stack!: ToucanStack;
  smtp!: SmtpSink;
  teams!: BotConnectorStandIn;
  redisServer: RedisServer | null = null;
  cluster: RedisClusterGroup | null = null;
  sentinel: SentinelGroup | null = null;
  redisUrl: string;
  /** Figures for people (e.g. how long a failover took), printed and written to the report. */
  readonly notes: string[] = [];
  producer!: Producer;
  private config!: Config;
  private workerEnv!: Record<string, string>;
  readonly artifactsDir = mkdtempSync(join(tmpdir(), 'courier-chaos-'));
  private readonly queues = new Map<QueueName, Queue>();
  private readonly connections: BullConnection[] = [];
  private readonly options: ContextOptions;
  private sequence = 0;

  private constructor(options: ContextOptions) {
    this.options = options;
    this.id = options.id;
    this.redisUrl = options.redisUrl;
    const prefix = `courier-chaos-${options.id}-${randomBytes(3).toString('hex')}`;
    // On a Cluster, every key of a queue must hash to one slot: a hash-tagged prefix, as the README asks of operators.
    this.prefix = options.topology === 'cluster' ? `{${prefix}}` : prefix;
  }

  static async start(options: ContextOptions): Promise<ScenarioContext> {
    const ctx = new ScenarioContext(options);
    try {
      await ctx.startServers();
      return ctx;
    } catch (err) {
      await ctx.close().catch(() => undefined);
      throw err;
    }
  }

  private async startServers(): Promise<void> {
    const { options } = this;
    if (options.privateRedis) {
      this.redisServer = await RedisServer.start({ persistent: true });
      this.redisUrl = this.redisServer.url;
    }
    if (options.topology === 'cluster') {
      this.cluster = await RedisClusterGroup.start({ password: 'chaos-cluster-password' });
      // Seed nodes that neither own the queues' slot nor replicate its owner: every command must be redirected.
      this.redisUrl = this.cluster.url(await this.cluster.nodesAwayFrom(`${this.prefix}:x`));
    }
    if (options.topology === 'sentinel') {
      this.sentinel = await SentinelGroup.start({ password: 'chaos-sentinel-password' });
      this.redisUrl = this.sentinel.url;
    }
    this.stack = await ToucanStack.start();
    this.smtp = await SmtpSink.start();
    this.teams = await BotConnectorStandIn.start({ apps: [{ ...BOT, multiTenant: true }] });
    this.workerEnv = {
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: this.prefix,
      FRONTEND_URL: this.stack.frontendUrl,
      BACKEND_URL: this.stack.backendUrl,
      ARTIFACTS_DIR: this.artifactsDir,
      HTTP_PORT: '0',
      CONCURRENCY: '2',
      SMTP_URL: this.smtp.url(),
      MAIL_FROM: 'Toucan chaos <chaos@corp.example.com>',
      MICROSOFT_APP_ID: BOT.appId,
      MICROSOFT_APP_PASSWORD: BOT.password,
      MICROSOFT_LOGIN_URL: this.teams.loginUrl,
      TEAMS_SERVICE_URLS: this.teams.serviceUrlPrefix,
      NODE_EXTRA_CA_CERTS: options.extraCaCerts,
      LOG_LEVEL: 'info',
    };
    this.config = loadConfig(this.workerEnv);
    this.producer = createProducer({ config: this.config });
  }

  get refs(): StackRefs {
    return { token: this.stack.token, serviceUrl: this.teams.serviceUrl() };
  }

  print(line: string): void {
    this.options.print(`[${this.id}] ${line}`);
  }

  /** Starts a `courier worker` process and waits until it takes jobs. */
  async startWorker(name: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = spawnWorkerProcess({ ...this.workerEnv, ...env }, { name: `${this.id}/${name}`, inheritEnv: false });
    this.workers.push(worker);
    await worker.waitFor(workerStarted, 120_000, '"worker started"');
    return worker;
  }

  /** A BullMQ queue handle that waits through a Redis restart (for reading states and adding raw jobs). */
  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      const connection = bullConnection(this.config, 'blocking');
      this.connections.push(connection);
      queue = new Queue(name, { connection: connection.connection, prefix: this.prefix });
      queue.on('error', () => undefined); // a Redis restart is part of some scenarios
      this.queues.set(name, queue);
    }
    return queue;
  }

  private next(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /**
   * Adds a job as a careful producer does: with an id of its own, so that
   * trying again after a connection error (Redis restarting) can never add
   * it twice, and trying again until Redis answers.
   */
  private async enqueue<Q extends QueueName>(queue: Q, data: JobInputByQueue[Q], n: number, options: EnqueueOptions): Promise<string> {
    const jobId = `chaos-${this.id}-${n}`;
    const deadline = Date.now() + ENQUEUE_PATIENCE_MS;
    for (;;) {
      try {
        return (await this.producer.enqueue(queue, data, { ...options, jobId })).id;
      } catch (err) {
        if (err instanceof InvalidJobError || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
  }

  private track(queue: QueueName, id: string, label: string, expect: Expectation, who: Audience): TrackedJob {
    const tracked: TrackedJob = { queue, id, label, expect, recipients: who.recipients, channels: who.channels };
    this.jobs.push(tracked);
    return tracked;
  }

  /** Adds a share job (email to two people, a Teams post) through the producer API. */
  async share(options: StoryOptions & { label?: string } = {}, enqueue: EnqueueOptions = {}): Promise<TrackedJob> {
    const n = this.next();
    const { data, audience } = shareJob(this.refs, this.id, n, options);
    const id = await this.enqueue('screenshot', data, n, enqueue);
    return this.track('screenshot', id, options.label ?? `share ${n}`, { kind: 'complete' }, audience);
  }

  /** Adds a two-page PDF report, mailed. */
  async report(enqueue: EnqueueOptions = {}): Promise<TrackedJob> {
    const n = this.next();
    const { data, audience } = reportJob(this.refs, this.id, n);
    const id = await this.enqueue('pdf-report', data, n, enqueue);
    return this.track('pdf-report', id, `report ${n}`, { kind: 'complete' }, audience);
  }

  /** Adds an alert that triggers (its KPI is above the threshold) and posts once to its channel. */
  async alert(enqueue: EnqueueOptions = {}): Promise<TrackedJob> {
    const n = this.next();
    const kpi = `chaos-${n}`;
    this.stack.setKpi(kpi, { value: 150 });
    const { data, audience } = alertJob(this.refs, this.id, n, kpi);
    const id = await this.enqueue('alert', data, n, enqueue);
    return this.track('alert', id, `alert ${n}`, { kind: 'complete' }, audience);
  }

  /** Adds a payload with BullMQ directly, as another producer would (no validation on the way in). */
  async addRaw(queue: QueueName, data: unknown, label: string, expect: Expectation, options: { attempts?: number } = {}): Promise<TrackedJob> {
    const job = await this.queue(queue).add(queue, data, { attempts: options.attempts ?? 3, backoff: { type: 'exponential', delay: 5000 } });
    if (job.id === undefined) throw new Error('BullMQ returned no job id');
    return this.track(queue, job.id, label, expect, { recipients: [], channels: [] });
  }

  /** Resolves once the backend has received a request for this path (e.g. a story's data call: its render is in flight). */
  async backendReceived(path: string, timeoutMs = 120_000): Promise<void> {
    await this.until(() => this.stack.backendRequests.some((r) => r.path === path), timeoutMs, `the backend to receive ${path}`);
  }

  /** Polls a condition of this process's own state (not a guess about time). */
  async until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`[${this.id}] timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  note(text: string): void {
    this.notes.push(text);
    this.print(text);
  }

  /** The worker's configuration (for a client of courier's own, e.g. a probe). */
  get workerConfig(): Config {
    return this.config;
  }

  check(name: string, ok: boolean, detail?: string): void {
    this.checks.push({ name, ok, ...(detail !== undefined ? { detail } : {}) });
  }

  async job(tracked: TrackedJob): Promise<Job | undefined> {
    return (await this.queue(tracked.queue).getJob(tracked.id)) ?? undefined;
  }

  /** Waits until every job submitted so far has completed or failed for good (or the time is up), and returns where each ended. */
  async settle(timeoutMs: number): Promise<Map<string, FinalState>> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.jobs);
    for (;;) {
      for (const tracked of [...pending]) {
        const state = await this.queue(tracked.queue).getJobState(tracked.id);
        if (state === 'completed' || state === 'failed') pending.delete(tracked);
      }
      if (pending.size === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return this.finalStates();
  }

  async finalStates(): Promise<Map<string, FinalState>> {
    const finals = new Map<string, FinalState>();
    for (const tracked of this.jobs) {
      const queue = this.queue(tracked.queue);
      const job = await queue.getJob(tracked.id);
      const state = job ? await queue.getJobState(tracked.id) : 'unknown';
      finals.set(`${tracked.queue}/${tracked.id}`, { state, attemptsMade: job?.attemptsMade ?? 0, failedReason: job?.failedReason ?? null });
    }
    return finals;
  }

  /** Posts the stand-in created in a channel. */
  postsIn(channelId: string): number {
    return this.teams.posts.filter((p) => p.params.channelData?.channel?.id === channelId).length;
  }

  /** Settles, stops the workers (SIGTERM: each must drain and exit 0), then counts. */
  async verdict(settleTimeoutMs: number): Promise<Verdict> {
    const finals = await this.settle(settleTimeoutMs);
    const stopped = await Promise.all(this.workers.filter((w) => w.running).map(async (w) => ({ name: w.name, code: await w.stop() })));
    const unclean = stopped.filter((s) => s.code !== 0);
    if (unclean.length > 0) this.check('workers drain and exit 0 at the end', false, unclean.map((s) => `${s.name} exited ${s.code}`).join(', '));
    return tally(this.jobs, finals, { email: (address) => this.smtp.messagesFor(address).length, teams: (channel) => this.postsIn(channel) });
  }

  /** Log lines of every worker of this scenario at warn level or above, for a report of what went wrong. */
  troubles(): string[] {
    return this.workers.flatMap((w) =>
      w.lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal').map((l) => `${w.name} ${l.level ?? ''}: ${l.msg ?? ''}${l.reason ? ` (${l.reason})` : ''}${l.jobId ? ` job ${String(l.queue)}/${l.jobId}` : ''}`),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill()));
    const logDir = this.options.logDir;
    if (logDir) {
      await mkdir(logDir, { recursive: true });
      for (const w of this.workers) await writeFile(join(logDir, `${w.name.replace(/\//g, '-')}-${w.pid}.log`), w.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    }
    await this.producer?.close().catch(() => undefined);
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    for (const c of this.connections) c.release();
    await this.teams?.close();
    await this.smtp?.stop();
    await this.stack?.close();
    if (this.redisServer) await this.redisServer.dispose();
    else if (this.cluster || this.sentinel) await Promise.all([this.cluster?.dispose(), this.sentinel?.dispose()]);
    else await deleteKeysUnder(this.redisUrl, this.prefix).catch(() => undefined);
    rmSync(this.artifactsDir, { recursive: true, force: true });
  }
}

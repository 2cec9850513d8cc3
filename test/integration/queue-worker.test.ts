// The queue runtime end to end, in-process, with real parts: Redis, Chromium
// rendering the fixture Toucan stack, SMTP on loopback, and the worker's
// HTTP port. Jobs go in through the producer API (or raw BullMQ, as another
// producer would), results come back through Redis.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Config } from '../../src/config.js';
import { jobResult } from '../../src/contracts/result.js';
import type { SmtpSink } from '../../src/demo/smtp-sink.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { createLogger } from '../../src/log.js';
import { bullConnection } from '../../src/redis/connection.js';
import { createProducer, JobFailedError, type Producer } from '../../src/queue/producer.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/queue/runtime.js';
import { signArtifactUrl } from '../../src/artifacts/signing.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { startWorld, type World } from '../helpers/world.js';
import { flushPrefix, testRedisUrl } from '../setup/redis.js';
import { rejection } from '../helpers/rejection.js';

let world: World;
let prefix: string;
const secret = randomBytes(32).toString('hex');
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let stack: ToucanStack;
let smtp: SmtpSink;
let artifactsDir: string;
let config: Config;
let runtime: WorkerRuntime;
let producer: Producer;
let rawQueue: Queue;

const story = (query = 'slide=sales') => `/demo?${query}&export=true`;
const fetchText = async (path: string) => (await fetch(`http://127.0.0.1:${runtime.http?.port ?? 0}${path}`)).text();

const failureOf = (promise: Promise<unknown>) => rejection(promise, JobFailedError);

beforeAll(async () => {
  world = await startWorld({ name: 'queue-worker', env: { ARTIFACT_LINK_SECRET: secret, RECIPIENT_DOMAINS: 'corp.example.com' } });
  ({ stack, smtp, artifactsDir, config, producer, prefix } = world);
  runtime = world.runtime!;
  rawQueue = new Queue('screenshot', { connection: bullConnection(config, 'blocking').connection, prefix });
});

afterAll(async () => {
  await rawQueue?.close();
  await world?.close();
});

describe('a screenshot job', () => {
  it('completes with the result of CONTRACT §4; the sha256 matches the stored file, which shows the ready chart', async () => {
    const { id, result } = await producer.enqueueAndWait(
      'screenshot',
      { url: story(), smallApp: 'Sales', title: 'Sales by region', auth: { token: stack.token } },
      { timeoutMs: 90_000 },
    );
    expect(jobResult.parse(result)).toEqual(result);
    expect(result.deliveries).toEqual([]);
    const [artifact] = result.artifacts;
    expect(artifact).toMatchObject({ mime: 'image/png', pages: null });
    expect(artifact?.path).toMatch(new RegExp(`^screenshot/\\d{4}-\\d{2}-\\d{2}/${id}\\.png$`));
    const file = readFileSync(join(artifactsDir, artifact?.path ?? ''));
    expect(artifact?.bytes).toBe(file.length);
    expect(artifact?.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    const png = decodePng(file);
    expect([png.width, png.height]).toEqual([artifact?.width, artifact?.height]);
    const { chart, loader } = showsChartNotLoader(png);
    expect(chart).toBeGreaterThan(0.05);
    expect(loader).toBeLessThan(0.001);
    expect(Object.keys(result.timings).sort()).toEqual(['captureMs', 'openMs', 'queuedMs', 'readyMs']);
    expect(result.diagnostics).toEqual({ refused: [] });
    // The backend saw the bearer token; the story loaded with it.
    expect(stack.backendRequests.some((r) => r.authorization === `Bearer ${stack.token}`)).toBe(true);
    // Once finished, the job's stored payload keeps no token.
    await vi.waitFor(async () => expect((await rawQueue.getJob(id))?.data).toEqual({ url: story(), smallApp: 'Sales', title: 'Sales by region' }), { timeout: 10_000 });

    // The worker serves the file behind a signed link.
    const link = new URL(signArtifactUrl(new URL('http://x/'), secret, artifact?.path ?? '', Math.floor(Date.now() / 1000) + 600));
    const served = await fetch(`http://127.0.0.1:${runtime.http?.port ?? 0}${link.pathname}${link.search}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(createHash('sha256').update(Buffer.from(await served.arrayBuffer())).digest('hex')).toBe(artifact?.sha256);
  });

  it('is delivered by email, with the timings of every phase', async () => {
    const { result } = await producer.enqueueAndWait(
      'screenshot',
      {
        url: story('slide=churn'),
        title: 'Churn by plan',
        format: 'jpeg',
        auth: { token: stack.token },
        annotations: [{ type: 'rect', x: 20, y: 20, width: 200, height: 80 }],
        sharedBy: 'Camille',
        deliver: [{ type: 'email', to: ['team@corp.example.com'] }],
      },
      { timeoutMs: 90_000 },
    );
    expect(result.artifacts[0]).toMatchObject({ mime: 'image/jpeg' });
    expect(result.artifacts[0]?.path).toMatch(/\.jpg$/);
    expect(result.deliveries).toEqual([{ type: 'email', to: ['team@corp.example.com'], status: 'sent', id: expect.stringMatching(/^<.+>$/) as unknown }]);
    expect(Object.keys(result.timings).sort()).toEqual(['annotateMs', 'captureMs', 'deliverMs', 'openMs', 'queuedMs', 'readyMs']);
    expect(smtp.messagesFor('team@corp.example.com')).toHaveLength(1);
  });
});

describe('failures', () => {
  it('FORBIDDEN_URL fails at once and is not retried', async () => {
    const failure = await failureOf(producer.enqueueAndWait('screenshot', { url: 'https://elsewhere.example.com/demo' }, { timeoutMs: 60_000 }));
    expect(failure.code).toBe('FORBIDDEN_URL');
    const job = await rawQueue.getJob(failure.jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.opts.attempts).toBe(3);
  });

  it('a share to a recipient outside RECIPIENT_DOMAINS fails INVALID_JOB at once, before any page opens', async () => {
    const seenBefore = stack.frontendRequests.length;
    const mailedBefore = smtp.messagesFor('team@corp.example.com').length;
    const failure = await failureOf(
      producer.enqueueAndWait('screenshot', { url: story('slide=refused-recipient'), auth: { token: stack.token }, deliver: [{ type: 'email', to: ['team@corp.example.com', 'eve@elsewhere.example'] }] }, { timeoutMs: 60_000 }),
    );
    expect(failure.code).toBe('INVALID_JOB');
    expect(failure.reason).toContain('eve@elsewhere.example is outside RECIPIENT_DOMAINS');
    expect((await rawQueue.getJob(failure.jobId))?.attemptsMade).toBe(1);
    // Nothing was rendered: the story's frontend never heard of this job.
    expect(stack.frontendRequests.slice(seenBefore)).toEqual([]);
    expect(smtp.messagesFor('team@corp.example.com')).toHaveLength(mailedBefore);
  });

  it('a job added by another producer with an invalid payload fails with INVALID_JOB naming each problem, without retry', async () => {
    const job = await rawQueue.add('screenshot', { url: story(), format: 'gif', colour: 'red', auth: { token: 'another-users-token' } }, { attempts: 3 });
    const failure = await failureOf(producer.waitFor('screenshot', job.id ?? '', 60_000));
    expect(failure.code).toBe('INVALID_JOB');
    expect(failure.reason).toMatch(/format: /);
    expect(failure.reason).toMatch(/colour: unknown field/);
    expect((await rawQueue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
    // Failed for the last time: no token left in Redis.
    await vi.waitFor(async () => expect((await rawQueue.getJob(job.id ?? ''))?.data).not.toHaveProperty('auth'), { timeout: 10_000 });
  });

  it('a transient failure (SMTP down) is retried, then succeeds, and the message is sent once', async () => {
    await smtp.stop();
    const { id } = await producer.enqueue(
      'screenshot',
      { url: story('slide=revenue'), title: 'Revenue', auth: { token: stack.token }, deliver: [{ type: 'email', to: ['retry@corp.example.com'] }] },
      { attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
    );
    // Wait for the first attempt to fail while the SMTP server is down.
    await expect.poll(async () => (await rawQueue.getJob(id))?.attemptsMade, { timeout: 60_000 }).toBe(1);
    const afterFirst = await rawQueue.getJob(id);
    expect(afterFirst?.attemptsMade).toBe(1);
    expect(afterFirst?.failedReason).toMatch(/^DELIVERY_FAILED: /);
    // Not finished: the retry still needs its token.
    expect((afterFirst?.data as { auth?: unknown } | undefined)?.auth).toEqual({ token: stack.token });
    await smtp.start();

    const result = await producer.waitFor('screenshot', id, 90_000);
    expect(result.deliveries).toEqual([expect.objectContaining({ type: 'email', status: 'sent' })]);
    await vi.waitFor(async () => expect((await rawQueue.getJob(id))?.data).not.toHaveProperty('auth'), { timeout: 10_000 });
    expect(smtp.messagesFor('retry@corp.example.com')).toHaveLength(1);
  });

  it('/metrics counts jobs by queue and outcome, phases, deliveries and queue depths', async () => {
    const text = await fetchText('/metrics');
    // Every series also carries the pod's name (POD_NAME, else the host name); label order varies by metric type.
    const parseSeries = (line: string): { name: string; labels: Record<string, string>; sample: string } => {
      const [, name = '', labels = '', sample = ''] = /^([^{ ]+)(?:\{(.*)\})?(?: (\S+))?$/.exec(line) ?? [];
      return { name, labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? ''])), sample };
    };
    const samples = text.split('\n').filter((line) => line.startsWith('courier_')).map(parseSeries);
    const value = (series: string) => {
      const wanted = parseSeries(series);
      const labels = { ...wanted.labels, worker: config.podName };
      const found = samples.find((s) => s.name === wanted.name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
      return Number(found?.sample ?? NaN);
    };
    expect(value('courier_jobs_total{queue="screenshot",outcome="completed"}')).toBe(3);
    expect(value('courier_jobs_total{queue="screenshot",outcome="failed"}')).toBe(3);
    expect(value('courier_jobs_total{queue="screenshot",outcome="retried"}')).toBe(1);
    // Phases are observed per attempt, failed ones too: the SMTP-down job rendered twice and failed its first delivery.
    expect(value('courier_phase_duration_seconds_count{queue="screenshot",phase="ready",outcome="ok"}')).toBe(4);
    expect(value('courier_phase_duration_seconds_count{queue="screenshot",phase="deliver",outcome="ok"}')).toBe(2);
    expect(value('courier_phase_duration_seconds_count{queue="screenshot",phase="deliver",outcome="failed"}')).toBe(1);
    expect(value('courier_job_errors_total{queue="screenshot",code="DELIVERY_FAILED",phase="deliver"}')).toBe(1);
    // The invalid payload and the refused recipient: both before any page opened.
    expect(value('courier_job_errors_total{queue="screenshot",code="INVALID_JOB",phase="validate"}')).toBe(2);
    expect(value('courier_deliveries_total{channel="email",outcome="sent"}')).toBe(2);
    expect(value('courier_deliveries_total{channel="email",outcome="failed"}')).toBe(1);
    expect(value('courier_queue_jobs{queue="screenshot",state="completed"}')).toBe(3);
    expect(value('courier_queue_jobs{queue="screenshot",state="failed"}')).toBe(3);
    expect(value('courier_pages_in_use')).toBe(0);
    expect(value('courier_browser_restarts_total{reason="crash"}')).toBe(0);
  });

  it('/readyz is 200 with Redis and a warm Chromium', async () => {
    expect(JSON.parse(await fetchText('/readyz'))).toEqual({
      status: 'ready',
      checks: { redis: 'ok', chromium: 'ok' },
      redis: { topology: 'single', master: new URL(testRedisUrl()).host },
    });
  });
});

describe('JOB_TIMEOUT_MS', () => {
  it('is a hard deadline: the job fails JOB_TIMEOUT and its page is released', async () => {
    const short = await startWorkerRuntime({ config: { ...config, jobTimeoutMs: 2000, httpPort: 0, queuePrefix: `${prefix}-deadline` }, log, queues: ['screenshot'], concurrency: 1 });
    const shortProducer = createProducer({ config: { ...config, queuePrefix: `${prefix}-deadline` } });
    try {
      const failure = await failureOf(
        shortProducer.enqueueAndWait('screenshot', { url: story('slide=sales&variant=never'), timeoutMs: 60_000 }, { attempts: 1, timeoutMs: 60_000 }),
      );
      expect(failure.code).toBe('JOB_TIMEOUT');
      expect(failure.reason).toMatch(/JOB_TIMEOUT_MS \(2000 ms\)/);
      await expect.poll(() => short.pool.pagesInUse, { timeout: 30_000, interval: 50 }).toBe(0);
    } finally {
      await shortProducer.close();
      await short.close();
      await flushPrefix(testRedisUrl(), `${prefix}-deadline`);
    }
  });
});

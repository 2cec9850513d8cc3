// Threshold alerts end to end: alert jobs through Redis and the worker, a
// KPI value the test changes in the fixture backend, "triggered" and
// "resolved" posts to the Bot Connector stand-in, onError by real SMTP.
import { Queue } from 'bullmq';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertJobInput } from '../../src/contracts/alert.js';
import type { BotConnectorStandIn} from '../../src/demo/bot-connector.js';
import { findDataUri, type PostedConversation } from '../../src/demo/bot-connector.js';
import type { SmtpSink } from '../../src/demo/smtp-sink.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { JobFailedError, type Producer } from '../../src/queue/producer.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { startWorld, type World } from '../helpers/world.js';
import { testRedisUrl } from '../setup/redis.js';

let world: World;
let prefix: string;
let stack: ToucanStack;
let smtp: SmtpSink;
let teams: BotConnectorStandIn;
let producer: Producer;
let channelCount = 0;
/** How far the worker's clock is ahead of the real one: a cooldown passes when a test moves it, not while it waits. */
let clockAheadMs = 0;

/** A fresh alert on its own KPI and its own Teams channel, so tests never see each other's posts. */
function newAlert(overrides: Partial<AlertJobInput> = {}): { job: AlertJobInput; kpi: string; channelId: string } {
  channelCount += 1;
  const kpi = `revenue-${channelCount}`;
  const channelId = `19:alerts-${channelCount}@thread.tacv2`;
  return {
    kpi,
    channelId,
    job: {
      alertId: `revenue-drop-${channelCount}`,
      name: 'Revenue above target',
      smallApp: 'Sales Pulse',
      auth: { token: stack.token },
      data: { url: `/kpi/${kpi}`, valuePath: 'items.0.value' },
      condition: { operator: '>', threshold: 100 },
      story: { url: '/demo?slide=revenue&export=true' },
      deliver: [{ type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId }],
      ...overrides,
    },
  };
}

const evaluate = (job: AlertJobInput, options: { attempts?: number } = {}) =>
  producer.enqueueAndWait('alert', job, { timeoutMs: 90_000, attempts: options.attempts ?? 1, backoff: { type: 'fixed', delay: 100 } });

const postsTo = (channelId: string): PostedConversation[] => teams.posts.filter((p) => p.params.channelData?.channel?.id === channelId);
const cardText = (post: PostedConversation | undefined) => JSON.stringify(post?.card ?? null);

beforeAll(async () => {
  world = await startWorld({ name: 'alert', teams: true, now: () => Date.now() + clockAheadMs, env: { HTTP_PORT: '0', PUBLIC_URL: '', ARTIFACT_LINK_SECRET: '' } });
  ({ stack, smtp, producer, prefix } = world);
  teams = world.teams!;
});

afterAll(() => world?.close());

describe('a threshold alert (notify: on-change)', () => {
  it('says nothing below the threshold, posts once when it is crossed, nothing while it holds, once when resolved', async () => {
    const { job, kpi, channelId } = newAlert();

    stack.setKpi(kpi, { value: 80 });
    let { result } = await evaluate(job);
    expect(result).toMatchObject({ state: 'ok', value: 80, notified: false, deliveries: [] });
    expect(postsTo(channelId)).toHaveLength(0);

    stack.setKpi(kpi, { value: 120 });
    ({ result } = await evaluate(job));
    expect(result).toMatchObject({ state: 'triggered', value: 120, notified: true });
    expect(result.deliveries).toEqual([expect.objectContaining({ type: 'teams', channelId, status: 'sent' })]);
    let posts = postsTo(channelId);
    expect(posts).toHaveLength(1);
    const triggered = cardText(posts[0]);
    expect(triggered).toContain('Revenue above target');
    expect(triggered).toContain('120');
    expect(triggered).toContain('> 100');
    expect(triggered).toContain('Open in Toucan');
    // The card carries the story, and it shows the chart, not a spinner.
    const image = findDataUri(posts[0]!.card);
    expect(image).not.toBeNull();
    if (image!.mime === 'image/png') expect(showsChartNotLoader(decodePng(image!.data)).chart).toBeGreaterThan(0.05);
    expect(result.artifacts).toEqual([expect.objectContaining({ mime: 'image/png' })]);

    stack.setKpi(kpi, { value: 130 });
    ({ result } = await evaluate(job));
    expect(result).toMatchObject({ state: 'triggered', value: 130, notified: false, deliveries: [] });
    expect(postsTo(channelId)).toHaveLength(1);

    stack.setKpi(kpi, { value: 90 });
    ({ result } = await evaluate(job));
    expect(result).toMatchObject({ state: 'ok', value: 90, notified: true });
    posts = postsTo(channelId);
    expect(posts).toHaveLength(2);
    const resolved = cardText(posts[1]);
    expect(resolved).toMatch(/[Rr]esolved/);
    expect(resolved).toContain('90');
    expect(findDataUri(posts[1]!.card)).toBeNull();
  });

  it('gives one message for two evaluations enqueued at once', async () => {
    const { job, kpi, channelId } = newAlert();
    stack.setKpi(kpi, { value: 500 });
    const results = await Promise.all([evaluate(job), evaluate(job)]);
    expect(results.map((r) => r.result.state)).toEqual(['triggered', 'triggered']);
    expect(results.filter((r) => r.result.notified)).toHaveLength(1);
    expect(postsTo(channelId)).toHaveLength(1);
  });

  it('is evaluated when its BullMQ job id is its alertId (a producer deduplicating by alert)', async () => {
    // The alert's own keys once lived in the alert queue's namespace, where
    // this job's BullMQ lock has the same name as the alert's lock.
    const { job, kpi, channelId } = newAlert();
    stack.setKpi(kpi, { value: 300 });
    const { id, result } = await producer.enqueueAndWait('alert', job, { jobId: job.alertId, timeoutMs: 90_000, attempts: 1 });
    expect(id).toBe(job.alertId);
    expect(result).toMatchObject({ state: 'triggered', value: 300, notified: true });
    expect(postsTo(channelId)).toHaveLength(1);
  });
});

describe('notify: every-time with a cooldown', () => {
  it('posts on each evaluation where it holds, but never twice within the cooldown', async () => {
    // A cooldown of 10 minutes: the second evaluation runs right after the
    // first (well within it), the third once the worker's clock has moved
    // past it.
    const { job, kpi, channelId } = newAlert({ notify: 'every-time', cooldownMinutes: 10 });
    stack.setKpi(kpi, { value: 150 });
    const first = await evaluate(job);
    const second = await evaluate(job);
    expect([first.result.notified, second.result.notified]).toEqual([true, false]);
    clockAheadMs += 10 * 60_000;
    const third = await evaluate(job);
    expect(third.result.notified).toBe(true);
    expect(postsTo(channelId)).toHaveLength(2);
  });
});

describe('an alert that cannot be evaluated', () => {
  it('fails naming the 401, and tells onError exactly once across the retries', async () => {
    const { job, kpi, channelId } = newAlert({ onError: [{ type: 'email', to: ['data-team@corp.example.com'] }] });
    stack.setKpi(kpi, { value: 1, status: 401 });
    const outcome = await evaluate(job, { attempts: 3 }).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(JobFailedError);
    expect((outcome as JobFailedError).message).toMatch(/^DATA_FAILED: the backend answered HTTP 401 to GET http:\/\/127\.0\.0\.1:\d+\/kpi\/revenue-\d+: check the job's auth token/);
    const mails = smtp.messagesFor('data-team@corp.example.com');
    expect(mails).toHaveLength(1);
    const mail = await simpleParser(mails[0]!.raw);
    expect(mail.subject).toContain('cannot be evaluated');
    expect(mail.text).toContain('401');
    expect(postsTo(channelId)).toHaveLength(0);

    // When it can be evaluated again, onError hears so, once.
    stack.setKpi(kpi, { value: 50 });
    const { result } = await evaluate(job);
    expect(result).toMatchObject({ state: 'ok', value: 50, notified: false });
    const after = smtp.messagesFor('data-team@corp.example.com');
    expect(after).toHaveLength(2);
    expect((await simpleParser(after[1]!.raw)).subject).toContain('evaluated again');
  });

  it('says what it found when valuePath does not lead to a number', async () => {
    const { job, kpi } = newAlert();
    stack.setKpi(kpi, { value: '12' });
    const outcome = await evaluate(job).catch((err: unknown) => err);
    expect((outcome as JobFailedError).message).toContain('valuePath "items.0.value" found the string "12" (expected a finite number)');
  });

  it('refuses a data URL off the backend at once, without retry', async () => {
    const { job } = newAlert({ data: { url: 'https://elsewhere.example.com/kpi', valuePath: 'v' } });
    const outcome = await evaluate(job, { attempts: 3 }).catch((err: unknown) => err);
    expect((outcome as JobFailedError).message).toMatch(/^FORBIDDEN_URL: /);
  });
});

describe('an alert scheduled by the backend from code', () => {
  it('is evaluated on its schedule, and deleting it removes its schedule and its state', async () => {
    const { job, kpi, channelId } = newAlert();
    stack.setKpi(kpi, { value: 250 });
    const scheduleId = `alert-${job.alertId}`;
    await producer.upsertSchedule('alert', scheduleId, { every: 1000 }, job);
    await expect.poll(() => postsTo(channelId).length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(postsTo(channelId)).toHaveLength(1);
    const redis = world.connect();
    const queue = new Queue('alert', { connection: { url: testRedisUrl() }, prefix });
    try {
      expect(await redis.exists(`${prefix}:alerts:${job.alertId}:state`)).toBe(1);
      await producer.deleteAlert(job.alertId);
      expect(await queue.getJobScheduler(scheduleId)).toBeUndefined();
      // Once an evaluation that was already running has finished (and no other is due), the state stays gone.
      await expect.poll(async () => Object.values(await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized')), { timeout: 30_000 }).toEqual([0, 0, 0, 0]);
      // Only the tombstone is left, which keeps an evaluation made before the deletion from writing the state back.
      expect(await redis.keys(`${prefix}:alerts:${job.alertId}:*`)).toEqual([`${prefix}:alerts:${job.alertId}:deleted`]);
      expect(postsTo(channelId)).toHaveLength(1);
    } finally {
      await queue.close();
    }
  });
});

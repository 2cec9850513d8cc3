// Teams delivery inside real jobs (Redis, the worker runtime, Chromium, the
// stricter stand-in): transient answers retried within one job attempt (no
// re-render), a burst of alerts to one channel paced across two workers with
// none lost, and a report link still served after the screenshots' lifetime
// has passed (a fake clock for the sweep and the link check).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepArtifacts } from '../../src/artifacts/sweep.js';
import type { QueueName } from '../../src/contracts/queues.js';
import type { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { paceKey } from '../../src/delivery/teams-pace.js';
import { createLogger } from '../../src/log.js';
import { bullConnection } from '../../src/redis/connection.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/queue/runtime.js';
import { createMetrics } from '../../src/server/metrics.js';
import { startHttpServer } from '../../src/server/http.js';
import { findElement } from '../helpers/teams.js';
import { startWorld, type World } from '../helpers/world.js';
import { testRedisUrl } from '../setup/redis.js';

const DAY = 86_400;
let world: World;
let teams: BotConnectorStandIn;
let secondWorker: WorkerRuntime | null = null;

const target = (channelId: string) => ({ type: 'teams' as const, serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId });

async function attemptsMade(queue: QueueName, id: string): Promise<number | undefined> {
  const raw = new Queue(queue, { connection: bullConnection(world.config, 'producer').connection, prefix: world.prefix });
  try {
    return (await raw.getJob(id))?.attemptsMade;
  } finally {
    await raw.close();
  }
}

beforeAll(async () => {
  world = await startWorld({ name: 'teams-jobs', teams: true });
  teams = world.teams!;
});

afterAll(async () => {
  await secondWorker?.close();
  await world?.close();
});

describe('Teams inside jobs', () => {
  it('ends 429 (retry time in the body), 412 and 502 in a row in one post within one job attempt', async () => {
    const channel = '19:retried-share@thread.tacv2';
    teams.failNext(429, { retryAfterSeconds: 1, retryAfterIn: 'body' });
    teams.failNext(412);
    teams.failNext(502);

    const { id, result } = await world.producer.enqueueAndWait(
      'screenshot',
      { url: '/demo?slide=sales&export=true', title: 'Sales by region', auth: { token: world.stack.token }, deliver: [target(channel)] },
      { timeoutMs: 120_000 },
    );

    expect(result.deliveries).toEqual([expect.objectContaining({ type: 'teams', channelId: channel, status: 'sent' })]);
    // One attempt of the job: the story was rendered once, the delivery retried within it.
    expect(await attemptsMade('screenshot', id)).toBe(1);
    expect(teams.posts.filter((p) => p.params.channelData?.channel?.id === channel)).toHaveLength(1);
    expect(teams.connectorRequests.filter((r) => r.method === 'POST').slice(-4).map((r) => r.status)).toEqual([429, 412, 502, 201]);
  });

  it('paces a burst of alerts to one channel across two workers, and loses none', async () => {
    secondWorker = await startWorkerRuntime({ config: { ...world.config, httpPort: 0 }, log: createLogger('silent'), queues: ['alert'] });
    const channel = '19:burst-alerts@thread.tacv2';
    world.stack.setKpi('burst', { value: 140 });
    const alerts = Array.from({ length: 12 }, (_, i) => ({
      alertId: `burst-${i}`,
      name: `Burst alert ${i}`,
      auth: { token: world.stack.token },
      data: { url: '/kpi/burst', valuePath: 'items.0.value' },
      condition: { operator: '>' as const, threshold: 100 },
      notify: 'every-time' as const,
      deliver: [target(channel)],
    }));

    const done = await Promise.all(alerts.map((alert) => world.producer.enqueueAndWait('alert', alert, { timeoutMs: 120_000 })));

    // None lost: every alert told the channel once, each in its first attempt.
    expect(done.map(({ result }) => result.notified)).toEqual(alerts.map(() => true));
    expect(teams.posts.filter((p) => p.params.channelData?.channel?.id === channel)).toHaveLength(12);
    expect(await Promise.all(done.map(({ id }) => attemptsMade('alert', id)))).toEqual(alerts.map(() => 1));
    // Spread out by the pace the workers share (stamped by Redis' clock): never more than Teams allows.
    const redis = new Redis(testRedisUrl());
    try {
      const stamps = (await redis.zrange(paceKey(world.prefix, channel), 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
      // One slot per request: 12, or a few more when a request was retried (on a loaded machine one may reach the stand-in late, inside the next window).
      expect(stamps.length).toBeGreaterThanOrEqual(12);
      for (const [ms, max] of [[1000, 7], [2000, 8]] as const) {
        expect(Math.max(...stamps.map((t) => stamps.filter((u) => u >= t && u < t + ms).length))).toBeLessThanOrEqual(max);
      }
    } finally {
      redis.disconnect();
    }
  });

  it("serves a report's link after the screenshots' lifetime has passed, until the link itself expires (fake clock)", async () => {
    const channel = '19:reports-kept@thread.tacv2';
    const { result } = await world.producer.enqueueAndWait(
      'pdf-report',
      { title: 'Weekly sales review', auth: { token: world.stack.token }, pages: [{ url: '/demo?slide=sales&export=true', title: 'Sales' }], deliver: [target(channel)] },
      { timeoutMs: 120_000 },
    );
    const [pdf, thumbnail] = result.artifacts;
    const card = teams.posts.filter((p) => p.params.channelData?.channel?.id === channel)[0]!.card;
    const link = new URL(String(findElement(card, 'Action.OpenUrl').find((a) => a.title === 'Open report')?.url));
    const path = (p: string) => join(world.artifactsDir, p);

    // Eight days later, ARTIFACTS_TTL_DAYS (7) has passed: the sweep deletes the unlinked thumbnail, keeps the linked PDF.
    const later = (days: number) => new Date(Date.now() + days * DAY * 1000);
    const { deletedFiles } = await sweepArtifacts({ root: world.artifactsDir, ttlDays: world.config.artifactsTtlDays, now: later(8) });
    expect(deletedFiles).toBeGreaterThanOrEqual(1);
    expect(readdirSync(join(world.artifactsDir, 'pdf-report', pdf!.path.split('/')[1]!))).not.toContain(thumbnail!.path.split('/').pop());

    const server = await startHttpServer(
      { log: createLogger('silent'), metrics: createMetrics(), readiness: {}, artifactsRoot: world.artifactsDir, linkSecret: world.config.artifactLinkSecret, nowSeconds: () => Math.floor(later(8).getTime() / 1000) },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const served = await fetch(`http://127.0.0.1:${server.port}${link.pathname}${link.search}`);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(readFileSync(path(pdf!.path)))).toBe(true);
    } finally {
      await server.close();
    }

    // Past the link's own lifetime (ARTIFACT_LINK_TTL_SECONDS, 90 days), the file and its record go too.
    expect(world.config.artifactLinkTtlSeconds).toBe(90 * DAY);
    await sweepArtifacts({ root: world.artifactsDir, ttlDays: world.config.artifactsTtlDays, now: later(91) });
    expect(() => readFileSync(path(pdf!.path))).toThrow();
    expect(readdirSync(join(world.artifactsDir, 'pdf-report'))).toEqual([]);
  });
});

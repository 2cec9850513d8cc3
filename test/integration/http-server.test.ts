// The worker's HTTP port against real parts: /readyz follows a real
// redis-server as it stops and starts; signed artifact links serve real
// files and refuse tampered, expired and traversing ones; /metrics speaks
// the Prometheus text format.
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createRedisClient, redisPing, type RedisClient } from '../../src/redis/connection.js';
import { startHttpServer, type RunningHttpServer } from '../../src/server/http.js';
import { createMetrics } from '../../src/server/metrics.js';
import { signArtifactUrl } from '../../src/artifacts/signing.js';
import { RedisServer } from '../setup/redis.js';

const secret = 'a-test-secret-of-some-length';
const log = createLogger('silent');
let redisServer: RedisServer;
let redis: RedisClient;
let http: RunningHttpServer;
let root: string;
let clock = Math.floor(Date.now() / 1000);
let chromiumUp = true;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET: the path is sent exactly as given (no client-side `..` clean-up). */
function get(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: http.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** /readyz's status and body, as JSON (Redis reconnects on its own schedule: tests poll this). */
const readyz = async (): Promise<{ status: number; body: unknown }> => {
  const answer = await get('/readyz');
  return { status: answer.status, body: JSON.parse(answer.body.toString()) as unknown };
};

/** The signed link's path and query, as a string (URL parsing would resolve `..`). */
const linkPath = (path: string, expires: number): string =>
  signArtifactUrl(new URL('https://courier.example.com/'), secret, path, expires).slice('https://courier.example.com'.length);

beforeAll(async () => {
  redisServer = await RedisServer.start();
  redis = createRedisClient({ redisUrl: redisServer.url }, { failFast: true });
  root = mkdtempSync(join(tmpdir(), 'courier-http-'));
  mkdirSync(join(root, 'screenshot', '2026-11-20'), { recursive: true });
  writeFileSync(join(root, 'screenshot', '2026-11-20', '42.png'), Buffer.from('\x89PNG fake image bytes', 'latin1'));
  writeFileSync(join(root, 'screenshot', '2026-11-20', 'repeat_a_1.pdf'), Buffer.from('%PDF-1.7'));
  writeFileSync(join(root, '..', `outside-${process.pid}.txt`), 'secret');
  const metrics = createMetrics({ pagesInUse: () => 1 });
  metrics.countJob('screenshot', 'completed');
  metrics.observePhase('screenshot', 'open', 200, 'ok');
  metrics.observePhase('screenshot', 'ready', 30_000, 'failed');
  metrics.observePhase('screenshot', 'total', 640, 'ok');
  metrics.countJobError('screenshot', 'SELECTOR_TIMEOUT', 'ready');
  http = await startHttpServer(
    {
      log,
      metrics,
      readiness: { redis: () => redisPing(redis, 1000), chromium: () => chromiumUp },
      artifactsRoot: root,
      linkSecret: secret,
      nowSeconds: () => clock,
    },
    { port: 0, host: '127.0.0.1' },
  );
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.dispose();
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, '..', `outside-${process.pid}.txt`), { force: true });
});

describe('health', () => {
  it('/healthz answers while the process lives', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('/readyz turns 503 when Redis stops, then 200 when it is back', async () => {
    const up = { status: 200, body: { status: 'ready', checks: { redis: 'ok', chromium: 'ok' } } };
    await expect.poll(readyz, { timeout: 30_000, interval: 200 }).toEqual(up);

    await redisServer.stop();
    await expect.poll(readyz, { timeout: 30_000, interval: 200 }).toEqual({ status: 503, body: { status: 'not ready', checks: { redis: 'fail', chromium: 'ok' } } });
    // Liveness does not depend on Redis: Kubernetes must not restart the pod for it.
    expect((await get('/healthz')).status).toBe(200);

    await redisServer.start();
    await expect.poll(readyz, { timeout: 30_000, interval: 200 }).toEqual(up);
  });

  it('/readyz is 503 while Chromium is down', async () => {
    chromiumUp = false;
    try {
      const answer = await get('/readyz');
      expect(answer.status).toBe(503);
      expect((JSON.parse(answer.body.toString()) as { checks: unknown }).checks).toMatchObject({ chromium: 'fail' });
    } finally {
      chromiumUp = true;
    }
  });
});

describe('/metrics', () => {
  it('is Prometheus text with the job, phase, delivery, browser and page series', async () => {
    const answer = await get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.body.toString();
    expect(text).toContain('courier_jobs_total{queue="screenshot",outcome="completed"} 1');
    expect(text).toContain('courier_jobs_total{queue="alert",outcome="failed"} 0');
    expect(text).toContain('courier_phase_duration_seconds_count{queue="screenshot",phase="open",outcome="ok"} 1');
    expect(text).toContain('courier_phase_duration_seconds_count{queue="screenshot",phase="ready",outcome="failed"} 1');
    expect(text).toContain('courier_phase_duration_seconds_count{queue="screenshot",phase="total",outcome="ok"} 1');
    expect(text).toContain('courier_job_errors_total{queue="screenshot",code="SELECTOR_TIMEOUT",phase="ready"} 1');
    expect(text).toContain('courier_deliveries_total{channel="teams",outcome="sent"} 0');
    expect(text).toContain('courier_browser_restarts_total{reason="crash"} 0');
    expect(text).toContain('courier_pages_in_use 1');
  });
});

it('/metrics asks for METRICS_TOKEN when one is set', async () => {
  const guarded = await startHttpServer(
    { log, metrics: createMetrics({ pagesInUse: () => 0 }), readiness: {}, artifactsRoot: root, linkSecret: null, metricsToken: 'metrics-token-0123456789' },
    { port: 0, host: '127.0.0.1' },
  );
  try {
    const at = `http://127.0.0.1:${guarded.port}/metrics`;
    const open = await fetch(at);
    expect(open.status).toBe(401);
    expect(open.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(at, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const allowed = await fetch(at, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('courier_pages_in_use 0');
    // Health stays open: probes carry no token.
    expect((await fetch(`http://127.0.0.1:${guarded.port}/healthz`)).status).toBe(200);
  } finally {
    await guarded.close();
  }
});

describe('signed artifact links', () => {
  const path = 'screenshot/2026-11-20/42.png';

  it('a valid link serves the file with its content type', async () => {
    const answer = await get(linkPath(path, clock + 600));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('image/png');
    expect(answer.body.toString('latin1')).toBe('\x89PNG fake image bytes');
    const pdf = await get(linkPath('screenshot/2026-11-20/repeat_a_1.pdf', clock + 600));
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
  });

  it('a tampered signature, path or expiry gets 403', async () => {
    const good = linkPath(path, clock + 600);
    const tamperedSignature = good.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect((await get(tamperedSignature)).status).toBe(403);
    expect((await get(good.replace('42.png', '43.png'))).status).toBe(403);
    expect((await get(good.replace(/expires=\d+/, `expires=${clock + 999_999}`))).status).toBe(403);
    expect((await get(`/artifacts/${path}`)).status).toBe(403);
  });

  it('an expired link gets 403', async () => {
    const link = linkPath(path, clock + 60);
    expect((await get(link)).status).toBe(200);
    clock += 120;
    try {
      const answer = await get(link);
      expect(answer.status).toBe(403);
      expect(answer.body.toString()).toMatch(/expired/);
    } finally {
      clock -= 120;
    }
  });

  it('a traversing path gets 403, even when correctly signed', async () => {
    const escape = `../outside-${process.pid}.txt`;
    for (const raw of [
      linkPath(escape, clock + 600),
      `/artifacts/..%2Foutside-${process.pid}.txt?expires=${clock + 600}&signature=${'0'.repeat(64)}`,
      `/artifacts/screenshot/../../outside-${process.pid}.txt?expires=${clock + 600}&signature=${'0'.repeat(64)}`,
      `/artifacts/%2e%2e/outside-${process.pid}.txt?expires=${clock + 600}&signature=${'0'.repeat(64)}`,
    ]) {
      const answer = await get(raw);
      expect(answer.status, raw).toBe(403);
      expect(answer.body.toString()).not.toContain('secret');
    }
  });

  it('a valid link to a file that is gone gets 404', async () => {
    expect((await get(linkPath('screenshot/2026-11-20/missing.png', clock + 600))).status).toBe(404);
  });
});

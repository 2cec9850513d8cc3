// The console in a real browser (puppeteer on Chromium), served by a real
// `courier worker` process on real Redis: the README's walk from "the
// Monday report did not arrive" to its cause and a retry, then what it must
// refuse (a read-only retry, a stranger, a forged write) and never show (a
// token, a title's markup as markup).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/demo/redis-server.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';
import { startWorkerProcess, type WorkerProcess } from '../../src/demo/worker-process.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { startHttpServer } from '../../src/server/http.js';
import { redisScope, tempDir, type RedisScope } from '../helpers/scope.js';

const CHROMIUM = '/usr/lib/chromium/chromium-headless-shell';
/** Copies of the screenshots for people to look at (the closing note links them). */
const SHOTS = process.env.CONSOLE_SHOTS_DIR ?? null;
const HOSTILE_TITLE = `Q3 <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`;

describe('the console at /admin/', () => {
  let scope: RedisScope;
  let dir: ReturnType<typeof tempDir>;
  let stack: ToucanStack;
  let smtp: SmtpSink;
  let worker: WorkerProcess;
  let browser: Browser;
  let base: string;
  let evil: Server;
  const queues: Queue[] = [];
  const readToken = randomBytes(32).toString('hex');
  const writeToken = randomBytes(32).toString('hex');
  const toucanToken = `toucan-${randomBytes(16).toString('hex')}`;
  const smtpPass = randomBytes(12).toString('hex');
  /** Every body the console answered, to look for a credential in. */
  const bodies: string[] = [];

  beforeAll(async () => {
    scope = redisScope('console');
    dir = tempDir('console');
    stack = await ToucanStack.start({ token: toucanToken });
    smtp = await SmtpSink.start({ auth: { user: 'courier', pass: smtpPass }, dir: join(dir.path, 'mail') });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = await startWorkerProcess({
      REDIS_URL: scope.url,
      QUEUE_PREFIX: scope.prefix,
      FRONTEND_URL: stack.frontendUrl,
      BACKEND_URL: stack.backendUrl,
      HTTP_PORT: String(port),
      ARTIFACTS_DIR: join(dir.path, 'artifacts'),
      SMTP_URL: smtp.url(),
      MAIL_FROM: 'courier@corp.example',
      ADMIN_TOKEN: readToken,
      ADMIN_WRITE_TOKEN: writeToken,
      CONCURRENCY: '2',
      LOG_LEVEL: 'info',
    });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  }, 120_000);

  let evilPage = '';

  afterAll(async () => {
    await browser?.close();
    await worker?.stop(60_000);
    await Promise.all(queues.map((q) => q.close()));
    await smtp?.stop();
    await stack?.close();
    evil?.close();
    await scope?.close();
    dir?.remove();
  });

  function queue(name: string): Queue {
    const q = new Queue(name, { connection: { url: scope.url }, prefix: scope.prefix });
    queues.push(q);
    return q;
  }

  async function newPage(): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('response', (response) => {
      if (!response.url().startsWith(base)) return;
      const type = response.headers()['content-type'] ?? '';
      if (/json|html|text|javascript/.test(type)) {
        response.text().then(
          (text) => bodies.push(text),
          () => undefined,
        );
      }
    });
    return page;
  }

  async function logIn(page: Page, token: string): Promise<void> {
    await page.goto(`${base}/admin/`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.type('input[name=token]', token);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }

  async function shot(page: Page, name: string): Promise<void> {
    const path = join(dir.path, `console-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      copyFileSync(path, join(SHOTS, `console-${name}.png`));
    }
  }

  async function failedJob(q: Queue): Promise<string> {
    let id = '';
    await expect
      .poll(
        async () => {
          const [job] = await q.getJobs(['failed']);
          id = job?.id ?? '';
          return id;
        },
        { timeout: 90_000, interval: 500 },
      )
      .not.toBe('');
    return id;
  }

  it('walks from a failed scheduled report to its cause and a retry that completes; refuses what it must; shows no credential', async () => {
    // The backend is stuck: the Monday report's run fails with SELECTOR_TIMEOUT.
    stack.holdData(true);
    const reports = queue('pdf-report');
    const shots = queue('screenshot');
    await reports.upsertJobScheduler(
      'weekly-sales',
      { every: 7 * 86_400_000 },
      {
        name: 'pdf-report',
        data: {
          title: 'Weekly sales',
          auth: { token: toucanToken },
          timeoutMs: 4000,
          pages: [{ url: '/demo?slide=sales', title: 'Sales by region' }],
          deliver: [{ type: 'email', to: ['ops@corp.example'], subject: 'Weekly sales' }],
        },
        opts: { attempts: 1 },
      },
    );
    await shots.add('screenshot', { url: '/demo?slide=sales', title: HOSTILE_TITLE, timeoutMs: 3000, auth: { token: toucanToken }, deliver: [] }, { attempts: 1 });
    const reportId = await failedJob(reports);
    const shotId = await failedJob(shots);

    // 1. Log in with the write token; bull-board lists the queues under their names.
    const page = await newPage();
    await logIn(page, writeToken);
    await page.waitForFunction(() => document.body.innerText.includes('pdf-report'), { timeout: 30_000 }).catch(async (err: unknown) => {
      await shot(page, 'debug');
      throw new Error(`${String(err)} at ${page.url()}: ${(await page.content()).slice(0, 1500)}`);
    });
    await page.goto(`${base}/admin/queue/pdf-report?status=failed`);
    await page.waitForFunction(() => document.body.innerText.includes('Weekly sales'), { timeout: 30_000 });
    await shot(page, 'job-list');

    // 2. courier's failures, then the failed report.
    await page.goto(`${base}/admin/courier/`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/admin/courier/jobs/pdf-report/${encodeURIComponent(reportId)}"]`)]);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('SELECTOR_TIMEOUT');
    // A report's pages fail inside its render phase.
    expect(await page.$eval('[data-phase]', (e) => e.textContent)).toBe('render');
    expect(text).toMatch(/Still unmet when it timed out[\s\S]*busy indicator/);
    expect(text).toMatch(/Requests in flight\s+GET http:\/\/127\.0\.0\.1:\d+\/data\/sales/);
    // 3. The page as it was, inline through a signed link.
    const screenshot = await page.$eval('img.shot', (img) => ({ src: img.getAttribute('src') ?? '', width: (img).naturalWidth }));
    expect(screenshot.src).toMatch(/^\/artifacts\/pdf-report\/.+\.timeout\.png\?expires=\d+&signature=[0-9a-f]{64}$/);
    expect(screenshot.width).toBeGreaterThan(0);
    await shot(page, 'failed-job');

    // 4. The backend answers again; retry with the write credential; it completes and is delivered.
    stack.holdData(false);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/retry"] button')]);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.$eval('[data-state]', (e) => e.textContent);
        },
        { timeout: 90_000, interval: 1000 },
      )
      .toBe('completed');
    const done = await page.evaluate(() => document.body.innerText);
    expect(done).toMatch(/ops@corp\.example\s+sent/);
    expect(done).toMatch(/Attempts[\s\S]*failed\s+SELECTOR_TIMEOUT\s+render[\s\S]*completed/);
    await shot(page, 'completed-job');
    expect(smtp.messages.length).toBe(1);
    // The retry is logged with what it touched.
    await worker.waitFor((l) => l.console === 'write' && l.action === 'retry' && l.queue === 'pdf-report' && l.jobId === reportId, 10_000);

    // A title holding markup shows as text, in bull-board and in courier's view.
    await page.goto(`${base}/admin/queue/screenshot?status=failed`);
    await page.waitForFunction((t) => document.body.innerText.includes(t), { timeout: 30_000 }, HOSTILE_TITLE);
    await page.goto(`${base}/admin/courier/jobs/screenshot/${shotId}`);
    expect(await page.evaluate(() => document.body.innerText)).toContain(HOSTILE_TITLE);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    // Read-only: no retry button anywhere, and the API answers 405.
    const reader = await newPage();
    await logIn(reader, readToken);
    await reader.goto(`${base}/admin/courier/jobs/screenshot/${shotId}`);
    expect(await reader.$('form[action$="/retry"]')).toBeNull();
    await reader.goto(`${base}/admin/queue/screenshot?status=failed`);
    await reader.waitForFunction((t) => document.body.innerText.includes(t), { timeout: 30_000 }, HOSTILE_TITLE);
    await shot(reader, 'read-only');
    expect(await reader.evaluate(() => [...document.querySelectorAll('button')].some((b) => /retry/i.test(b.textContent ?? '')))).toBe(false);
    const readOnlyStatus = await reader.evaluate(async (url) => (await fetch(url, { method: 'PUT' })).status, `/admin/api/queues/screenshot/${shotId}/retry`);
    expect(readOnlyStatus).toBe(405);
    const bearerStatus = (await fetch(`${base}/admin/api/queues/screenshot/${shotId}/retry`, { method: 'PUT', headers: { authorization: `Bearer ${readToken}` } })).status;
    expect(bearerStatus).toBe(405);

    // A write forged from another origin (another port of the same host: the same site, so the cookie goes along) fails.
    const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
    evilPage = `<form method="post" action="${base}/admin/courier/jobs/screenshot/${shotId}/retry"></form><script>document.forms[0].submit()</script>`;
    const forged = await page.browserContext().newPage();
    const answer = forged.waitForResponse((r) => r.url().includes('/retry'));
    await forged.goto(evilUrl);
    expect((await answer).status()).toBe(403);
    expect(await (await shots.getJob(shotId))!.getState()).toBe('failed');

    // Without the token, nothing is there.
    expect((await fetch(`${base}/admin/api/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/api/queues`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const stranger = await fetch(`${base}/admin/courier/jobs/pdf-report/${encodeURIComponent(reportId)}`, { redirect: 'manual' });
    expect(stranger.status).toBe(303);
    expect(stranger.headers.get('location')).toBe('/admin/login');
    // Scripts use the Bearer header; its answers carry no credential either.
    const api = await fetch(`${base}/admin/api/job-schedulers`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(api.status).toBe(200);
    bodies.push(await api.text());
    bodies.push(await (await fetch(`${base}/admin/api/queues?activeQueue=pdf-report&status=completed`, { headers: { authorization: `Bearer ${readToken}` } })).text());

    // No credential in anything the console answered.
    expect(bodies.length).toBeGreaterThan(10);
    for (const secret of [readToken, writeToken, toucanToken, smtpPass]) {
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
    }
    expect(bodies.some((b) => b.includes('Weekly sales'))).toBe(true);
  }, 300_000);

  it('is not there without ADMIN_TOKEN (404)', async () => {
    const log = createLogger('silent');
    const server = await startHttpServer(
      { log, metrics: createMetrics(), readiness: {}, artifactsRoot: dir.path, linkSecret: null },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      for (const path of ['/admin', '/admin/', '/admin/login', '/admin/api/queues']) {
        expect((await fetch(`http://127.0.0.1:${server.port}${path}`)).status).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});

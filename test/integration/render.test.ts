// The render engine against a real Chromium and the Toucan-like fixture stack.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERLAY_ID, annotationNodes, drawOverlay } from '../../src/browser/annotate.js';
import { BrowserPool } from '../../src/browser/pool.js';
import { policyFor } from '../../src/browser/network-policy.js';
import { NAME_SHIM } from '../../src/browser/page-probe.js';
import { createRenderer } from '../../src/browser/render.js';
import type { RenderRequest } from '../../src/browser/types.js';
import type { Config } from '../../src/config.js';
import { validateJob } from '../../src/contracts/index.js';
import { CourierError } from '../../src/errors.js';
import { resolveStoryUrl } from '../../src/urls.js';
import { ToucanStack, stackConfig, testLogger } from '../fixtures/index.js';
import { freePort } from '../setup/redis.js';
import { ANNOTATION_RED, countColor, decodePng, differingShare, showsChartNotLoader } from '../helpers/image.js';
import { rejection } from '../helpers/rejection.js';
import { alive, processGroup } from '../helpers/processes.js';

let stack: ToucanStack;
let config: Config;
let pool: BrowserPool;
let render: (overrides: Partial<RenderRequest> & { query: string }) => ReturnType<ReturnType<typeof createRenderer>['render']>;
const dir = mkdtempSync(join(tmpdir(), 'courier-render-'));

beforeAll(async () => {
  stack = await ToucanStack.start();
  config = stackConfig(stack, { CONCURRENCY: '2' });
  pool = new BrowserPool({ config, log: testLogger() });
  const renderer = createRenderer({ config, pool, log: testLogger() });
  render = ({ query, ...overrides }) =>
    renderer.render({
      url: resolveStoryUrl(`/demo?${query}`, config.frontendUrl),
      selector: config.selector,
      timeoutMs: 15_000,
      viewport: { width: 1280, height: 618, deviceScaleFactor: 1 },
      formats: ['png'],
      token: stack.token,
      ...overrides,
    });
});

afterAll(async () => {
  await pool?.close();
  await stack?.close();
});

const failure = (promise: Promise<unknown>) => rejection(promise, CourierError);

describe('render: a ready story is captured', () => {
  it('captures the element at its size, showing the chart and not the loader', async () => {
    const result = await render({ query: 'slide=sales' });
    const [png] = result.captures;
    expect(png).toMatchObject({ format: 'png', mime: 'image/png', width: 1000, height: 520, pages: null });
    const image = decodePng(png!.data);
    expect([image.width, image.height]).toEqual([1000, 520]);
    const { chart, loader } = showsChartNotLoader(image);
    expect(chart).toBeGreaterThan(0.1);
    expect(loader).toBeLessThan(0.001);
    expect(result.timings.openMs).toBeGreaterThan(0);
    expect(result.timings.readyMs).toBeGreaterThan(0);
    expect(result.timings.captureMs).toBeGreaterThan(0);
    writeFileSync(join(dir, 'sales.png'), png!.data);
  });

  it('doubles the pixels at deviceScaleFactor 2', async () => {
    const result = await render({ query: 'slide=revenue', viewport: { width: 1280, height: 618, deviceScaleFactor: 2 } });
    const image = decodePng(result.captures[0]!.data);
    expect([image.width, image.height]).toEqual([2000, 1040]);
    expect(showsChartNotLoader(image).chart).toBeGreaterThan(0.1);
  });

  it('captures jobs running at once each as its own story, as it looks when rendered alone', async () => {
    // Captures go straight to each page's CDP session (puppeteer would queue them behind one browser-wide lock).
    const alone = await Promise.all(['sales', 'revenue'].map(async (slide) => decodePng((await render({ query: `slide=${slide}` })).captures[0]!.data)));
    const together = await Promise.all(['sales', 'revenue', 'sales', 'revenue'].map((slide) => render({ query: `slide=${slide}` })));
    together.forEach((result, i) => {
      const image = decodePng(result.captures[0]!.data);
      expect([image.width, image.height]).toEqual([1000, 520]);
      expect(differingShare(image, alone[i % 2]!)).toBeLessThan(0.005);
    });
    // And the two stories differ, so the comparison above tells them apart.
    expect(differingShare(alone[0]!, alone[1]!)).toBeGreaterThan(0.01);
  });

  it('captures an element larger than the viewport whole, scrolled into view', async () => {
    const result = await render({ query: 'slide=sales', viewport: { width: 800, height: 400, deviceScaleFactor: 1 } });
    const image = decodePng(result.captures[0]!.data);
    expect([image.width, image.height]).toEqual([1000, 520]);
    expect(showsChartNotLoader(image).chart).toBeGreaterThan(0.1);
  });

  it('waits out a slow story instead of capturing its spinner', async () => {
    const result = await render({ query: 'slide=churn&variant=slow' });
    expect(result.timings.readyMs).toBeGreaterThanOrEqual(2500);
    const { chart, loader } = showsChartNotLoader(decodePng(result.captures[0]!.data));
    expect(chart).toBeGreaterThan(0.05);
    expect(loader).toBeLessThan(0.001);
  });

  it('captures JPEG and a vector PDF of the element from the same ready page', async () => {
    const result = await render({ query: 'slide=sales', formats: ['jpeg', 'pdf'] });
    const [jpeg, pdf] = result.captures;
    expect(jpeg).toMatchObject({ format: 'jpeg', mime: 'image/jpeg', width: 1000, height: 520 });
    expect(jpeg!.data.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(pdf).toMatchObject({ format: 'pdf', mime: 'application/pdf', pages: 1 });
    const file = join(dir, 'sales.pdf');
    writeFileSync(file, pdf!.data);
    expect(execFileSync('pdfinfo', [file]).toString()).toMatch(/Page size:\s+750 x 390 pts/);
    const text = execFileSync('pdftotext', [file, '-']).toString();
    expect(text).toContain('Sales by region');
    expect(text).not.toContain('Loading story');
    // Rasterised, the vector page shows the chart.
    execFileSync('pdftoppm', ['-png', '-r', '96', '-singlefile', file, join(dir, 'sales-pdf')]);
    expect(showsChartNotLoader(decodePng(readFileSync(join(dir, 'sales-pdf.png')))).chart).toBeGreaterThan(0.1);
  });

  it('applies lang and timezone to the page and to Accept-Language', async () => {
    const before = stack.backendRequests.length;
    const result = await render({ query: 'slide=sales', formats: ['pdf'], lang: 'fr-FR', timezone: 'Asia/Tokyo' });
    const file = join(dir, 'lang.pdf');
    writeFileSync(file, result.captures[0]!.data);
    expect(execFileSync('pdftotext', [file, '-']).toString()).toContain('Rendered for fr-FR · Asia/Tokyo');
    const dataCall = stack.backendRequests.slice(before).find((r) => r.path.startsWith('/data/'));
    expect(dataCall?.acceptLanguage).toMatch(/^fr-FR/);
  });
});

describe('render: the token goes to the backend only', () => {
  it('adds the bearer token to backend requests and never to the frontend', async () => {
    const frontBefore = stack.frontendRequests.length;
    const backBefore = stack.backendRequests.length;
    await render({ query: 'slide=sales' });
    const backend = stack.backendRequests.slice(backBefore);
    const frontend = stack.frontendRequests.slice(frontBefore);
    expect(backend.length).toBeGreaterThan(0);
    expect(backend.every((r) => r.authorization === `Bearer ${stack.token}`)).toBe(true);
    expect(frontend.length).toBeGreaterThan(2);
    expect(frontend.filter((r) => r.authorization !== undefined)).toEqual([]);
  });
});

describe('render: deny by default', () => {
  it('blocks and reports forbidden requests while the story still renders', async () => {
    const result = await render({ query: 'slide=sales&variant=forbidden' });
    expect(result.diagnostics.blockedRequests).toEqual(expect.arrayContaining([`${stack.forbiddenOrigin}/evil.js`, 'https://cdn.forbidden.invalid/logo.png']));
    expect(stack.forbiddenRequests).toEqual([]);
    expect(showsChartNotLoader(decodePng(result.captures[0]!.data)).chart).toBeGreaterThan(0.1);
  });

  it('refuses a story URL on another origin before anything is loaded', async () => {
    const before = stack.frontendRequests.length + stack.forbiddenRequests.length;
    const err = await failure(render({ query: '', url: new URL(`${stack.forbiddenOrigin}/demo?slide=sales`) }));
    expect(err.code).toBe('FORBIDDEN_URL');
    expect(err.retried).toBe(false);
    expect(stack.frontendRequests.length + stack.forbiddenRequests.length).toBe(before);
  });
});

describe('render: a story that is not ready is never captured', () => {
  it('fails a never-ready story with SELECTOR_TIMEOUT naming the unmet condition, within its budget', async () => {
    const shot = join(dir, 'never.timeout.png');
    const started = Date.now();
    const err = await failure(render({ query: 'slide=sales&variant=never', timeoutMs: 2000, timeoutScreenshotPath: shot }));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('SELECTOR_TIMEOUT');
    expect(err.message).toMatch(/^SELECTOR_TIMEOUT: waiting for selector "\.tc-slide__content, \.tc-story" failed: timeout 2000ms exceeded/);
    expect(err.message).toContain('a busy indicator "[aria-busy=\\"true\\"]" is still visible');
    expect(err.message).toContain('(HTTP 200)');
    expect(err.message).toContain(`see ${shot}`);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(2000 + 15_000);
    // The kept screenshot shows what the page was doing: the loader.
    expect(existsSync(shot)).toBe(true);
    expect(showsChartNotLoader(decodePng(readFileSync(shot))).loader).toBeGreaterThan(0.2);
  });

  it('names the 401 of the data call', async () => {
    const err = await failure(render({ query: 'slide=sales&variant=unauthorized', timeoutMs: 2500 }));
    expect(err.code).toBe('SELECTOR_TIMEOUT');
    expect(err.message).toMatch(/failed requests: GET http:\/\/127\.0\.0\.1:\d+\/private\/sales\?delay=300 → 401/);
    expect(err.message).toMatch(/console errors: [1-9]/);
  });

  it('captures a drawn story that keeps polling its backend: polling does not block readiness forever', async () => {
    const result = await render({ query: 'slide=sales&variant=poll', timeoutMs: 10_000 });
    expect(showsChartNotLoader(decodePng(result.captures[0]!.data)).chart).toBeGreaterThan(0.1);
  });

  it('names an element that keeps changing', async () => {
    const err = await failure(render({ query: 'slide=sales&variant=jitter', timeoutMs: 2500 }));
    expect(err.message).toMatch(/still unmet: the element kept changing \(last: (DOM change in section\.tc-slide__content|the element moved or resized \([\d,]+\)), \d+ ms before the timeout\)/);
  });

  it('reports an HTTP error on the story document as NAVIGATION_FAILED', async () => {
    const err = await failure(render({ query: '', url: new URL(`${stack.frontendUrl}/no-such-story`) }));
    expect(err.code).toBe('NAVIGATION_FAILED');
    expect(err.message).toContain('answered HTTP 404');
  });

  it('reports a frontend that refuses connections as NAVIGATION_FAILED', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const closedConfig = stackConfig(stack, { FRONTEND_URL: closed });
    const renderer = createRenderer({ config: closedConfig, pool, log: testLogger() });
    const err = await failure(
      renderer.render({ url: new URL(`${closed}/demo`), selector: '.x', timeoutMs: 5000, viewport: { width: 800, height: 600, deviceScaleFactor: 1 }, formats: ['png'] }),
    );
    expect(err.code).toBe('NAVIGATION_FAILED');
    expect(err.message).toContain('ERR_CONNECTION_REFUSED');
  });
});

describe('render: annotations are drawn by Chromium, inside the element only', () => {
  it('puts annotation pixels where the shape is, and scales them with deviceScaleFactor', async () => {
    const job = validateJob('screenshot', { url: '/demo', annotations: [{ type: 'rect', x: 100, y: 100, width: 200, height: 100, strokeWidth: 4 }] });
    const one = decodePng((await render({ query: 'slide=churn', annotations: job.annotations })).captures[0]!.data);
    // The top edge of the rectangle, at y = 100 ± 2.
    expect(countColor(one, ANNOTATION_RED, 30, { x: 110, y: 98, width: 180, height: 4 })).toBeGreaterThan(300);
    // The middle of the rectangle is not painted (it is a stroke, not a fill).
    expect(countColor(one, ANNOTATION_RED, 30, { x: 150, y: 130, width: 100, height: 40 })).toBe(0);
    const two = decodePng((await render({ query: 'slide=churn', annotations: job.annotations, viewport: { width: 1280, height: 618, deviceScaleFactor: 2 } })).captures[0]!.data);
    expect(countColor(two, ANNOTATION_RED, 30, { x: 220, y: 196, width: 360, height: 8 })).toBeGreaterThan(4 * 300);
  });

  it('clips shapes that reach outside the element', async () => {
    const job = validateJob('screenshot', {
      url: '/demo',
      annotations: [
        { type: 'rect', x: -60, y: -60, width: 1200, height: 700, strokeWidth: 8 },
        { type: 'line', from: [500, 260], to: [3000, 260], strokeWidth: 8 },
        { type: 'text', at: [950, 10], text: 'far too long a label to fit inside' },
      ],
    });
    const seen = await pool.withPage(async (page, lease) => {
      // Straight through the pool: the page reaches the stack only once a policy is bound to its context.
      lease.egress.bind({ policy: policyFor(config, config.frontendUrl!), onRefused: () => undefined });
      await page.evaluateOnNewDocument(NAME_SHIM);
      await page.setViewport({ width: 1280, height: 700 });
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${stack.token}` });
      await page.goto(`${stack.frontendUrl}/demo?slide=sales&delay=0`);
      await page.waitForSelector('.tc-slide__content[aria-busy="false"]');
      const drawn = await page.evaluate(drawOverlay, '.tc-slide__content', OVERLAY_ID, annotationNodes(job.annotations));
      const box = await page.$eval('.tc-slide__content', (el) => el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number });
      return { drawn, box, png: decodePng(await page.screenshot({ type: 'png' })) };
    });
    const { png, box } = seen;
    expect(seen.drawn).toBe(3);
    const total = countColor(png, ANNOTATION_RED, 30);
    const inside = countColor(png, ANNOTATION_RED, 30, box);
    expect(inside).toBeGreaterThan(1000);
    expect(total - inside).toBe(0);
  });
});

describe('browser pool', () => {
  it('gives BROWSER_CRASHED to the render in flight when Chromium dies, and the next render works', async () => {
    await pool.warmUp();
    const pid = pool.browserPid();
    expect(pid).not.toBeNull();
    const asked = stack.backendRequests.length;
    const inFlight = render({ query: 'slide=sales&variant=slow' });
    // In flight: the story has asked the backend for its (slow) data.
    await expect.poll(() => stack.backendRequests.slice(asked).some((r) => r.path.includes('delay=2500')), { timeout: 30_000, interval: 20 }).toBe(true);
    process.kill(pid!, 'SIGKILL');
    const err = await failure(inFlight);
    expect(err.code).toBe('BROWSER_CRASHED');
    expect(err.retried).toBe(true);
    const next = await render({ query: 'slide=sales' });
    expect(showsChartNotLoader(decodePng(next.captures[0]!.data)).chart).toBeGreaterThan(0.1);
    expect(pool.browserPid()).not.toBe(pid);
  });

  it('leaves no Chromium process behind after close', async () => {
    const own = new BrowserPool({ config, log: testLogger() });
    await own.warmUp();
    const pid = own.browserPid()!;
    const group = processGroup(pid);
    expect(group.length).toBeGreaterThan(1);
    await own.close();
    await expect.poll(() => group.filter(alive), { timeout: 5_000 }).toEqual([]);
  });

  it('recycles the browser after its page budget', async () => {
    const own = new BrowserPool({ config: { ...config, browserRecycleAfter: 2 }, log: testLogger() });
    const pids = [];
    try {
      for (let i = 0; i < 3; i++) pids.push(await own.withPage(() => Promise.resolve(own.browserPid())));
    } finally {
      await own.close();
    }
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[0]);
  });
});

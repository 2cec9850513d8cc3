// Whole dashboards as they really are (issue 21), through the real worker,
// against real third-party code: a tall Home whose panels draw when an
// IntersectionObserver sees them (ECharts, Chart.js, d3) with a lazy picture
// far below; a list virtualised on the window by @tanstack/virtual-core,
// taller than Chromium's largest texture; decoration that never stops (a
// CSS ticker, badge and dot, a looping Lottie by lottie-web); a page that
// marks render-complete, one that marks render-error; loaders that must
// never be delivered. Every delivered capture is compared, pixel by pixel,
// with its still variant (same data, drawn at once without animation or
// observer), on the job's first attempt.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium, headlessModeOf } from '../../src/browser/pool.js';
import type { JobResult } from '../../src/contracts/result.js';
import { JobFailedError } from '../../src/queue/producer.js';
import { GalleryStack, type GalleryStory, type StoryOptions } from '../fixtures/gallery/stack.js';
import { countColor, decodePng, differingShare } from '../helpers/image.js';
import { rejection } from '../helpers/rejection.js';
import { startWorld, type World } from '../helpers/world.js';

const failureOf = (promise: Promise<unknown>) => rejection(promise, JobFailedError);
/** At most this share of pixels may differ from the still variant (issue 21's goal: 1 %). */
const SAME_PICTURE = 0.01;

let gallery: GalleryStack;
let world: World;
let browser: Browser;

beforeAll(async () => {
  gallery = await GalleryStack.start();
  const executablePath = findChromium(undefined);
  browser = await puppeteer.launch({ executablePath, headless: headlessModeOf(executablePath), args: chromiumArgs(), pipe: true });
  world = await startWorld({
    name: 'gallery-home',
    captureLogs: true,
    env: { FRONTEND_URL: gallery.frontendUrl, BACKEND_URL: gallery.backendUrl, SELECTOR: '.tc-story', SELECTOR_TIMEOUT_MS: '20000' },
  });
});

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await gallery?.close();
});

type Shot = { file: Buffer; result: JobResult; jobId: string };

async function screenshot(story: GalleryStory, options: StoryOptions & { ignore?: string[] } = {}): Promise<Shot> {
  const { ignore, ...storyOptions } = options;
  const { id, result } = await world.producer.enqueueAndWait(
    'screenshot',
    { url: gallery.storyPath(story, storyOptions), auth: { token: gallery.token }, ...(ignore ? { ignore } : {}) },
    { timeoutMs: 120_000, attempts: 1 },
  );
  return { file: readFileSync(join(world.artifactsDir, result.artifacts[0]!.path)), result, jobId: id };
}

/** Without courier: the still variant in a plain page, captured by puppeteer once the page says it drew its final frame. */
async function referenceCapture(story: GalleryStory): Promise<Buffer> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 618 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const toBackend = req.url().startsWith(gallery.backendUrl);
      void req.continue(toBackend ? { headers: { ...req.headers(), authorization: `Bearer ${gallery.token}` } } : undefined);
    });
    await page.goto(gallery.frontendUrl + gallery.storyPath(story, { still: true }));
    await page.waitForFunction('window.__galleryFinalFrameMs !== undefined', { timeout: 30_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return Buffer.from(await (await page.$('.tc-story'))!.screenshot({ type: 'png' }));
  } finally {
    await context.close();
  }
}

function share(a: Buffer, b: Buffer): number {
  return differingShare(decodePng(a), decodePng(b));
}

describe('tall stories are brought wholly into view, judged whole, and captured whole', () => {
  it('home: 8 panels drawn on intersection and a lazy picture far below come out as the still variant', async () => {
    const [moving, still, reference] = await Promise.all([screenshot('home'), screenshot('home', { still: true }), referenceCapture('home')]);
    const png = decodePng(moving.file);
    expect(png.height).toBeGreaterThanOrEqual(4000);
    expect(share(still.file, reference)).toBeLessThanOrEqual(SAME_PICTURE);
    const differs = share(moving.file, still.file);
    expect(differs, `${(differs * 100).toFixed(2)} % of pixels differ from the still variant`).toBeLessThanOrEqual(SAME_PICTURE);
    // The last panel's picture (its dark circle) is there, at the bottom of the Home.
    expect(countColor(png, [0x1d, 0x24, 0x33], 8, { x: 0, y: png.height - 360, width: 500, height: 360 })).toBeGreaterThan(10_000);
  });

  it('virtual: a 520-row list virtualised on the window, taller than the largest texture, is captured whole in tiles', async () => {
    const [moving, still, reference] = await Promise.all([screenshot('virtual'), screenshot('virtual', { still: true }), referenceCapture('virtual')]);
    expect(decodePng(moving.file).height).toBeGreaterThan(16_384);
    // The tiles, stitched, are the same picture as one capture taken by puppeteer.
    expect(share(still.file, reference)).toBeLessThanOrEqual(SAME_PICTURE);
    expect(share(moving.file, still.file)).toBeLessThanOrEqual(SAME_PICTURE);
  });

  it('a Home taller than courier shows at once fails closed, naming the part never seen and the picture never requested', async () => {
    const failure = await failureOf(
      world.producer.enqueueAndWait('screenshot', { url: gallery.storyPath('home', { spacer: 30_000 }), timeoutMs: 3000, auth: { token: gallery.token } }, { timeoutMs: 60_000, attempts: 1 }),
    );
    expect(failure.code).toBe('SELECTOR_TIMEOUT');
    expect(failure.reason).toMatch(/still unmet: part of the element was never in view \(the element is 1000×\d+ px at scale 1, more than courier shows at once/);
    expect(failure.reason).toMatch(/pictures were never requested by Chromium \([^)]*\/pictures\/photo\.png\?delay=300: never requested: below the fold, loading=lazy\)/);
  });
});

describe('decoration is not a loader; loaders still fail', () => {
  it('decorated: a chart under a ticker, a LIVE badge, a live dot and a looping Lottie is delivered, each named in the result and the log', async () => {
    const [moving, still] = await Promise.all([screenshot('decorated'), screenshot('decorated', { still: true })]);
    expect(share(moving.file, still.file)).toBeLessThanOrEqual(SAME_PICTURE);
    const named = [
      'CSSAnimation slide on div.track (decoration: beside drawn content)',
      'CSSAnimation pulse on span.live (decoration: beside drawn content)',
      'CSSAnimation blink on span.dot (decoration: beside drawn content)',
      'endless drawing in svg (decoration: beside drawn content)',
    ];
    expect(moving.result.diagnostics?.ignoredMotion).toEqual(expect.arrayContaining(named));
    const line = world.logLines.find((l) => l.jobId === moving.jobId && l.msg === 'the story keeps moving: its decoration was not waited for, and is captured at its start');
    expect(line?.ignoredMotion).toEqual(expect.arrayContaining(named));
    expect(still.result.diagnostics?.ignoredMotion).toBeUndefined();
  });

  it('a spinner over an empty panel and a skeleton are never delivered: SELECTOR_TIMEOUT naming both', async () => {
    const failure = await failureOf(
      world.producer.enqueueAndWait('screenshot', { url: gallery.storyPath('loader-panel'), timeoutMs: 3000, auth: { token: gallery.token } }, { timeoutMs: 60_000, attempts: 1 }),
    );
    expect(failure.code).toBe('SELECTOR_TIMEOUT');
    expect(failure.reason).toContain('still unmet: a loading animation is visible in the story (CSSAnimation spin on div.spinner, CSSAnimation shimmer on div.skeleton)');
  });

  it("what the job's ignore names is not waited for: a lone spinner is then delivered, reset to its start, and named", async () => {
    const { result } = await screenshot('forever', { ignore: ['.spinner'] });
    expect(result.diagnostics?.ignoredMotion).toEqual(['CSSAnimation spin on div.spinner (ignored: it matches the ignore list)']);
  });
});

describe("a page's own marks win", () => {
  it('render-complete: panels marked data-render-complete are captured as the still variant, though a request never ends', async () => {
    const [moving, still] = await Promise.all([screenshot('render-complete'), screenshot('render-complete', { still: true })]);
    expect(share(moving.file, still.file)).toBeLessThanOrEqual(SAME_PICTURE);
  });

  it("render-error: DATA_FAILED with the page's message, without waiting for the timeout", async () => {
    const failure = await failureOf(
      world.producer.enqueueAndWait('screenshot', { url: gallery.storyPath('render-error'), timeoutMs: 120_000, auth: { token: gallery.token } }, { timeoutMs: 60_000, attempts: 1 }),
    );
    expect(failure.code).toBe('DATA_FAILED');
    expect(failure.reason).toBe('DATA_FAILED: ready: the story marked itself in error (data-render-error): "Query failed: the warehouse timed out (data call failed: HTTP 500)"');
  });
});

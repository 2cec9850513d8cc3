// Chromium's PNG encoding, default against `optimizeForSpeed` (zlib's
// fastest level, no filtering), side by side on the same still page in
// plain puppeteer: the bytes, whether the pixels are identical, and where
// Chromium's time goes in one `Page.captureScreenshot` of the element, from
// a trace of each capture: the frames the display compositor draws for it,
// the copy of the pixels out of the frame (readback) and the encoding (on
// the browser's main thread). Thread CPU time (a trace's `tdur`) is given
// beside wall time: on a loaded machine it is the steadier figure.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import sharp from 'sharp';
import { chromiumArgs, findChromium, headlessModeOf } from '../../src/browser/pool.js';
import type { GalleryStack, GalleryStory } from '../../test/fixtures/gallery/stack.js';
import { median } from './stats.js';

export interface EncodingRow {
  story: GalleryStory;
  /** The element's size in CSS px (at scale 1). */
  size: string;
  encoding: 'default' | 'optimizeForSpeed';
  bytes: number;
  /** Every pixel the same as the default encoding's. */
  samePixels: boolean;
  /** Medians over the rounds, ms: the whole call as the client sees it, and Chromium's stages (wall / thread CPU). */
  callMs: number;
  stages: Record<'draw' | 'readback' | 'encode', { wallMs: number; cpuMs: number }>;
}

const STAGES = { draw: /^Display::DrawAndSwap$/, readback: /CopyOutputResultSender::SendResult/, encode: /^EncodeBitmapAsPng/ } as const;
type TraceEvent = { name: string; ph: string; dur?: number; tdur?: number };

export async function compareEncodings(gallery: GalleryStack, stories: readonly GalleryStory[], rounds: number): Promise<EncodingRow[]> {
  const executablePath = findChromium(undefined);
  const browser = await puppeteer.launch({ executablePath, headless: headlessModeOf(executablePath), args: chromiumArgs(), pipe: true });
  const tracePath = join(tmpdir(), `courier-encoding-${process.pid}.json`);
  const rows: EncodingRow[] = [];
  try {
    for (const story of stories) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 618 });
      await page.setRequestInterception(true);
      page.on('request', (req) => {
        const toBackend = req.url().startsWith(gallery.backendUrl);
        void req.continue(toBackend ? { headers: { ...req.headers(), authorization: `Bearer ${gallery.token}` } } : undefined);
      });
      await page.goto(gallery.frontendUrl + gallery.storyPath(story, { still: true }), { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('.tc-story');
      // Grown to the element, as courier does (whole-view.ts).
      const bottom = await page.$eval('.tc-story', (el) => Math.ceil(el.getBoundingClientRect().bottom));
      await page.setViewport({ width: 1280, height: Math.max(618, bottom) });
      await page.waitForFunction('window.__galleryFinalFrameMs !== undefined', { timeout: 30_000 });
      const box = await page.$eval('.tc-story', (el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      });
      const cdp = await page.createCDPSession();
      const capture = async (fast: boolean) => Buffer.from((await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: fast, clip: { ...box, scale: 1 }, captureBeyondViewport: false })).data, 'base64');
      await capture(false); // warm-up
      const seen = { default: [] as { callMs: number; events: TraceEvent[] }[], optimizeForSpeed: [] as { callMs: number; events: TraceEvent[] }[] };
      const bytes = { default: Buffer.alloc(0), optimizeForSpeed: Buffer.alloc(0) };
      for (let round = 0; round < rounds; round++) {
        // The order turns each round, so a burst of other work falls on both alike.
        for (const encoding of round % 2 ? (['optimizeForSpeed', 'default'] as const) : (['default', 'optimizeForSpeed'] as const)) {
          await page.tracing.start({ path: tracePath, categories: ['viz', 'devtools', 'toplevel'] });
          const started = performance.now();
          bytes[encoding] = await capture(encoding === 'optimizeForSpeed');
          const callMs = performance.now() - started;
          await page.tracing.stop();
          const { traceEvents } = JSON.parse(await readFile(tracePath, 'utf8')) as { traceEvents: TraceEvent[] };
          seen[encoding].push({ callMs, events: traceEvents.filter((e) => e.ph === 'X') });
        }
      }
      const reference = await sharp(bytes.default).raw().toBuffer();
      for (const encoding of ['default', 'optimizeForSpeed'] as const) {
        const sum = (events: TraceEvent[], re: RegExp, key: 'dur' | 'tdur') => events.filter((e) => re.test(e.name)).reduce((a, e) => a + (e[key] ?? 0), 0) / 1000;
        const stage = (re: RegExp) => ({
          wallMs: Math.round(median(seen[encoding].map((s) => sum(s.events, re, 'dur')))),
          cpuMs: Math.round(median(seen[encoding].map((s) => sum(s.events, re, 'tdur')))),
        });
        rows.push({
          story,
          size: `${Math.round(box.width)} × ${Math.round(box.height)}`,
          encoding,
          bytes: bytes[encoding].length,
          samePixels: reference.equals(await sharp(bytes[encoding]).raw().toBuffer()),
          callMs: Math.round(median(seen[encoding].map((s) => s.callMs))),
          stages: { draw: stage(STAGES.draw), readback: stage(STAGES.readback), encode: stage(STAGES.encode) },
        });
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await rm(tracePath, { force: true });
  }
  return rows;
}

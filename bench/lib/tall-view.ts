// Two ways to bring a tall story wholly into view, measured in plain
// puppeteer (no courier), so that only the way differs:
//   grow    the viewport is set to the element's size as soon as it exists
//           (Kibana's print layout, Grafana's full-height mode; what
//           courier does: src/browser/whole-view.ts);
//   scroll  the page is scrolled through one viewport at a time, two frames
//           at each step, then back to the top (Grafana's scrollForElements).
// For each: the page's own time to its final frame (its beacon's clock,
// from navigation start), and what is drawn at that moment (panels drawn;
// rows of the virtualised list in the DOM).
import puppeteer, { type Page } from 'puppeteer-core';
import { chromiumArgs, findChromium, headlessModeOf } from '../../src/browser/pool.js';
import type { GalleryStack } from '../../test/fixtures/gallery/stack.js';
import { median } from './stats.js';

export interface TallViewRow {
  story: 'home' | 'virtual';
  way: 'grow' | 'scroll';
  finalFrameMs: number;
  drawn: string;
}

const frames = (page: Page) => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));

async function bringIntoView(page: Page, way: 'grow' | 'scroll'): Promise<void> {
  if (way === 'grow') {
    const bottom = await page.$eval('.tc-story', (el) => Math.ceil(el.getBoundingClientRect().bottom + window.scrollY));
    await page.setViewport({ width: 1280, height: Math.max(618, bottom) });
    return;
  }
  const height = await page.evaluate(() => document.scrollingElement?.scrollHeight ?? 0);
  for (let y = 0; y < height; y += 618) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await frames(page);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await frames(page);
}

async function once(gallery: GalleryStack, story: 'home' | 'virtual', way: 'grow' | 'scroll', browser: puppeteer.Browser): Promise<{ finalFrameMs: number; drawn: string }> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 618 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const toBackend = req.url().startsWith(gallery.backendUrl);
      void req.continue(toBackend ? { headers: { ...req.headers(), authorization: `Bearer ${gallery.token}` } } : undefined);
    });
    await page.goto(gallery.frontendUrl + gallery.storyPath(story), { waitUntil: 'domcontentloaded' });
    await page.waitForSelector(story === 'home' ? '.panel' : '.row', { timeout: 30_000 });
    await bringIntoView(page, way);
    await page.waitForFunction('window.__galleryFinalFrameMs !== undefined', { timeout: 30_000 });
    await frames(page);
    const finalFrameMs = await page.evaluate(() => (window as unknown as { __galleryFinalFrameMs: number }).__galleryFinalFrameMs);
    const drawn = await page.evaluate((s) => {
      if (s === 'home') return `${document.querySelectorAll('.panel .body canvas, .panel .body svg').length} of 8 charts`;
      const rows = Array.from(document.querySelectorAll('.row'), (r) => r.firstChild?.textContent ?? '');
      return `${rows.length} of 520 rows in the DOM (${rows[0] ?? '-'} … ${rows.at(-1) ?? '-'})`;
    }, story);
    return { finalFrameMs, drawn };
  } finally {
    await context.close();
  }
}

export async function compareTallViews(gallery: GalleryStack, rounds: number): Promise<TallViewRow[]> {
  const executablePath = findChromium(undefined);
  const browser = await puppeteer.launch({ executablePath, headless: headlessModeOf(executablePath), args: chromiumArgs(), pipe: true });
  const rows: TallViewRow[] = [];
  try {
    for (const story of ['home', 'virtual'] as const) {
      const seen: Record<'grow' | 'scroll', { ms: number[]; drawn: string }> = { grow: { ms: [], drawn: '' }, scroll: { ms: [], drawn: '' } };
      for (let round = 0; round < rounds; round++) {
        // The order turns each round, so a burst of other work falls on both alike.
        for (const way of round % 2 ? (['scroll', 'grow'] as const) : (['grow', 'scroll'] as const)) {
          const { finalFrameMs, drawn } = await once(gallery, story, way, browser);
          seen[way].ms.push(finalFrameMs);
          seen[way].drawn = drawn;
        }
      }
      for (const way of ['grow', 'scroll'] as const) rows.push({ story, way, finalFrameMs: Math.round(median(seen[way].ms)), drawn: seen[way].drawn });
    }
  } finally {
    await browser.close();
  }
  return rows;
}

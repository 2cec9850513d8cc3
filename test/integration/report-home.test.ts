// Home in a report (issue 21): the gallery's tall Home (8 panels drawn by
// ECharts, Chart.js and d3 when an IntersectionObserver sees them, a lazy
// picture far below: about 4,600 px) as a pdf-report page through the real
// worker, laid over as many PDF pages as it needs. Each page is compared,
// pixel by pixel, with the same page of the report of its still variant;
// where the pages break is checked against the panels' boxes as the page
// itself lays them out; a vector story after it keeps its own page and
// bookmark.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium, headlessModeOf } from '../../src/browser/pool.js';
import type { JobResult } from '../../src/contracts/result.js';
import { GalleryStack } from '../fixtures/gallery/stack.js';
import { countColor, differingShare } from '../helpers/image.js';
import { flattenTags, pdfFile, pdfInfo, pdfOutlines, pdfPagePng, pdfTags, pdfText } from '../helpers/pdf.js';
import { startWorld, type World } from '../helpers/world.js';

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
    name: 'report-home',
    captureLogs: true,
    env: { FRONTEND_URL: gallery.frontendUrl, BACKEND_URL: gallery.backendUrl, SELECTOR: '.tc-story', SELECTOR_TIMEOUT_MS: '90000', JOB_TIMEOUT_MS: '400000' },
  });
});

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await gallery?.close();
});

interface Report {
  file: string;
  result: JobResult;
  jobId: string;
}

async function report(still: boolean): Promise<Report> {
  const { id, result } = await world.producer.enqueueAndWait(
    'pdf-report',
    {
      title: 'Home',
      smallApp: 'Gallery',
      auth: { token: gallery.token },
      pages: [
        { url: gallery.storyPath('home', { still }), title: 'Home' },
        { url: gallery.storyPath('d3', { still }), title: 'Margin' },
      ],
      deliver: [],
    },
    { timeoutMs: 420_000, attempts: 1 },
  );
  const pdf = result.artifacts.find((a) => a.mime === 'application/pdf')!;
  return { file: pdfFile(readFileSync(join(world.artifactsDir, pdf.path)), still ? 'home-still' : 'home'), result, jobId: id };
}

/** The boxes of the Home's panels and KPI cards, from the story's top (CSS px), as the still page lays them out in a plain browser. */
async function panelBoxes(): Promise<{ top: number; bottom: number }[]> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 618 });
    await page.goto(gallery.frontendUrl + gallery.storyPath('home', { still: true }));
    await page.waitForSelector('.panel');
    return await page.$$eval('.tc-story .panel, .tc-story .kpi', (els) => {
      const story = document.querySelector('.tc-story')!.getBoundingClientRect();
      return els.map((el) => {
        const r = el.getBoundingClientRect();
        return { top: r.top - story.top, bottom: r.bottom - story.top };
      });
    });
  } finally {
    await context.close();
  }
}

describe('a Home taller than a PDF page, in a report', () => {
  let moving: Report;
  let still: Report;
  let panels: { top: number; bottom: number }[];
  let pages: number;

  beforeAll(async () => {
    [moving, still, panels] = await Promise.all([report(false), report(true), panelBoxes()]);
    pages = Number(pdfInfo(moving.file).Pages);
  }, 600_000);

  it('is laid over several pages, each with the header and footer, one bookmark per story', () => {
    // Cover, the Home over at least 6 pages (about 4,600 px at the width of an A4 landscape page), then the d3 story.
    expect(pages).toBeGreaterThanOrEqual(8);
    expect(Number(pdfInfo(still.file).Pages)).toBe(pages);
    expect(moving.result.artifacts[0]).toMatchObject({ pages });
    const homePages = pages - 2;
    expect(pdfText(moving.file, 2).trimStart().startsWith('Home')).toBe(true);
    for (let page = 2; page <= pages; page++) {
      const text = pdfText(moving.file, page);
      expect(text).toContain(`${page} / ${pages}`);
      expect(text).toContain('Gallery');
      if (page > 2 && page <= homePages + 1) expect(text.trimStart().startsWith('Home (continued)')).toBe(true);
    }
    expect(pdfText(moving.file, pages).trimStart().startsWith('Margin')).toBe(true);
    expect(pdfText(moving.file, 1)).toMatch(new RegExp(`Margin\\s+${pages}\\b`));
    expect(pdfOutlines(moving.file)).toEqual([
      { title: 'Cover', page: 1, kids: [] },
      { title: 'Home', page: 2, kids: [] },
      { title: 'Margin', page: pages, kids: [] },
    ]);
  });

  it('is tagged as one section: one heading, every page of it inside the section, every Figure with Alt', () => {
    const view = pdfTags(moving.file);
    expect(view.parentTreeProblems).toEqual([]);
    const sections = view.tree![0]!.kids.filter((n) => n.type === 'Sect');
    // The cover, the Home, the Margin story: one section each, however many pages the Home takes.
    expect(sections).toHaveLength(3);
    const home = flattenTags([sections[1]!]);
    expect(home.filter((n) => /^H\d$/.test(n.type))).toHaveLength(1);
    const homePages = new Set(home.flatMap((n) => n.content.map((c) => c.page)));
    for (let page = 2; page <= pages - 1; page++) expect(homePages.has(page), `page ${page} in the Home's section`).toBe(true);
    for (const figure of flattenTags(view.tree!).filter((n) => n.type === 'Figure')) expect(figure.alt).toBeTruthy();
  });

  it('each page is the same picture as the same page of the still variant', () => {
    for (let page = 2; page <= pages; page++) {
      const share = differingShare(pdfPagePng(moving.file, page, 72), pdfPagePng(still.file, page, 72));
      expect(share, `page ${page}: ${(share * 100).toFixed(2)} % of pixels differ`).toBeLessThanOrEqual(SAME_PICTURE);
    }
  });

  it('breaks only between panels, never through one; the charts drawn on intersection are all there', () => {
    const line = world.logLines.find((l) => l.jobId === moving.jobId && l.msg === 'report assembled') as { breaks?: Record<string, number[]>; choices?: string[]; reasons?: string[] } | undefined;
    const breaks = line?.breaks?.['0'] ?? [];
    expect(breaks).toHaveLength(pages - 3);
    expect(panels.length).toBeGreaterThanOrEqual(13); // 4 KPI cards, 9 panels
    for (const y of breaks) {
      const cut = panels.filter((p) => p.top < y && p.bottom > y);
      expect(cut, `the break at ${y} px cuts a panel`).toEqual([]);
    }
    // Canvas charts make the Home a raster page; the d3 story stays vector. Each was captured once.
    expect(line?.choices).toEqual(['raster', 'vector']);
    expect(line?.reasons?.[0]).toMatch(/drawn mostly as pixels/);
    // The message's thumbnail is the Home's top, cut at its last break within three quarters of its width: no panel cut there either.
    const thumbnail = moving.result.artifacts.find((a) => a.mime === 'image/png')!;
    expect(thumbnail.width).toBe(2000);
    expect(thumbnail.height).toBeLessThanOrEqual(1500);
    expect(breaks.map((y) => Math.round(y * 2))).toContain(thumbnail.height);
    // The last panel's picture (its dark circle) is on the Home's last page.
    const last = pdfPagePng(moving.file, pages - 1, 72);
    expect(countColor(last, [0x1d, 0x24, 0x33], 8)).toBeGreaterThan(2_000);
  });
});

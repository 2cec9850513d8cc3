// The naive way: a browser launched for every job, as a hand-written
// puppeteer script does, or Grafana's image renderer in its default mode.
// Each job: launch Chromium, open a page, navigate, wait until the story
// says it drew its final frame (the gallery's own signal, as such scripts
// wait for their app's), capture the element as PNG, close the browser.
// `lanes` jobs run at once. Flags: puppeteer's defaults plus Grafana's
// default RENDERING_ARGS (--no-sandbox --disable-gpu).
import puppeteer from 'puppeteer-core';
import { findChromium, headlessModeOf } from '../../src/browser/pool.js';
import type { Viewport } from '../../src/contracts/common.js';
import { runInLanes, type LaneRun } from './stats.js';

export interface StoryTarget {
  /** A fresh URL per job (each page reports its own beacon). */
  url: () => string;
  /** Bearer token the gallery backend wants. */
  token: string;
  viewport: Viewport;
  selector: string;
}

export interface NaiveJob {
  /** From the launch to the closed browser. */
  totalMs: number;
  launchMs: number;
}

/** grafana-image-renderer's default `rendering.args` (src/config/rendering.ts). */
export const GRAFANA_DEFAULT_ARGS = ['--no-sandbox', '--disable-gpu'];

export interface NaiveOptions {
  chromiumPath?: string;
  /** Told each browser's pid when it starts and ends (to sample their memory). */
  onBrowser?: (pid: number, running: boolean) => void;
}

/** One job, browser included. */
export async function naiveJob(target: StoryTarget, options: NaiveOptions = {}): Promise<NaiveJob> {
  const t0 = performance.now();
  const executablePath = findChromium(options.chromiumPath);
  const browser = await puppeteer.launch({ executablePath, headless: headlessModeOf(executablePath), args: [...GRAFANA_DEFAULT_ARGS], pipe: true });
  const launchMs = performance.now() - t0;
  const pid = browser.process()?.pid;
  if (pid !== undefined) options.onBrowser?.(pid, true);
  try {
    const page = await browser.newPage();
    await page.setViewport(target.viewport);
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${target.token}` });
    await page.goto(target.url(), { waitUntil: 'domcontentloaded', timeout: 30_000 });
    await page.waitForFunction('window.__galleryFinalFrameMs !== undefined', { timeout: 30_000 });
    const element = await page.$(target.selector);
    if (!element) throw new Error(`naive: no element matches ${target.selector}`);
    await element.screenshot({ type: 'png' });
  } finally {
    await browser.close();
    if (pid !== undefined) options.onBrowser?.(pid, false);
  }
  return { totalMs: performance.now() - t0, launchMs };
}

export type NaiveRun = LaneRun<NaiveJob>;

/** `count` jobs, `lanes` at a time (each lane starts its next job when the previous one ends). */
export function runNaive(target: StoryTarget, count: number, lanes: number, options: NaiveOptions = {}): Promise<NaiveRun> {
  return runInLanes(count, lanes, () => naiveJob(target, options));
}

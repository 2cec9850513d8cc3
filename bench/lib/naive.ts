// The naive way: a browser launched for every job, as a hand-written
// puppeteer script does, or Grafana's image renderer in its default mode.
// Each job: launch Chromium, open a page, navigate, wait until the story
// says it is ready (aria-busy="false", as such scripts wait for their
// app's signal), capture the element as PNG, close the browser. `lanes`
// jobs run at once.
//
// Flags: 'stock' is how those scripts launch it: puppeteer's defaults plus
// Grafana's default RENDERING_ARGS (--no-sandbox --disable-gpu). 'courier'
// borrows courier's tuned flags (chromiumArgs()), to show how much of the
// difference is the flags rather than the warm browser.
import puppeteer from 'puppeteer-core';
import { captureElementImage } from '../../src/browser/capture.js';
import { NAME_SHIM } from '../../src/browser/page-probe.js';
import { chromiumArgs, findChromium } from '../../src/browser/pool.js';
import type { Readiness, StoryTarget } from './floor.js';
import { runInLanes, type LaneRun } from './stats.js';

export interface NaiveJob {
  /** From the launch to the closed browser. */
  totalMs: number;
  launchMs: number;
}

/** grafana-image-renderer's default `rendering.args` (src/config/rendering.ts). */
export const GRAFANA_DEFAULT_ARGS = ['--no-sandbox', '--disable-gpu'];

export type NaiveFlags = 'stock' | 'courier';

export interface NaiveOptions {
  chromiumPath?: string;
  flags?: NaiveFlags;
  /** Told each browser's pid when it starts and ends (to sample their memory). */
  onBrowser?: (pid: number, running: boolean) => void;
}

/** One job, browser included. */
export async function naiveJob(target: StoryTarget, readiness: Readiness, options: NaiveOptions = {}): Promise<NaiveJob> {
  const t0 = performance.now();
  const args = options.flags === 'courier' ? chromiumArgs() : [...GRAFANA_DEFAULT_ARGS];
  const browser = await puppeteer.launch({ executablePath: findChromium(options.chromiumPath), headless: true, args, pipe: true });
  const launchMs = performance.now() - t0;
  const pid = browser.process()?.pid;
  if (pid !== undefined) options.onBrowser?.(pid, true);
  try {
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(NAME_SHIM);
    await page.setViewport(target.viewport);
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${target.token}` });
    await page.goto(target.url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    void readiness;
    await page.waitForSelector('[aria-busy="false"]', { timeout: 30_000 });
    const element = await page.$(target.selector);
    if (!element) throw new Error(`naive: no element matches ${target.selector}`);
    await captureElementImage(element, 'png');
  } finally {
    await browser.close();
    if (pid !== undefined) options.onBrowser?.(pid, false);
  }
  return { totalMs: performance.now() - t0, launchMs };
}

export type NaiveRun = LaneRun<NaiveJob>;

/** `count` jobs, `lanes` at a time (each lane starts its next job when the previous one ends). */
export function runNaive(target: StoryTarget, readiness: Readiness, count: number, lanes: number, options: NaiveOptions = {}): Promise<NaiveRun> {
  return runInLanes(count, lanes, () => naiveJob(target, readiness, options));
}

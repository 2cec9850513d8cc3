// The readiness loop: samples the page (probePage, one round trip) every
// SAMPLE_INTERVAL_MS and asks the pure rules (assessReadiness) until the
// story is ready or the deadline passes. The render engine uses it, and so
// does the benchmark's floor, so both mean the same thing by "ready".
import type { Page } from 'puppeteer-core';
import { SAMPLE_INTERVAL_MS, STABLE_SAMPLES, assessReadiness, probePage, type NetworkState, type PageSample, type ReadinessVerdict } from './readiness.js';

/** Where the loop reads the page's network state (requests in flight, last activity). */
export interface NetworkTracker {
  state(): NetworkState;
}

export interface ReadinessWait {
  selector: string;
  busySelector: string;
  network: NetworkTracker;
  /** Epoch ms after which the last verdict is returned, ready or not. */
  deadline: number;
}

/** Resolves with the first ready verdict, or with the last one (its unmet conditions) at the deadline. */
export async function waitUntilReady(page: Page, { selector, busySelector, network, deadline }: ReadinessWait): Promise<ReadinessVerdict> {
  const recent: PageSample[] = [];
  for (;;) {
    const sample = await page.evaluate(probePage, selector, busySelector);
    recent.push(sample);
    if (recent.length > STABLE_SAMPLES) recent.shift();
    const verdict = assessReadiness(recent, network.state(), Date.now());
    if (verdict.ready) return verdict;
    const left = deadline - Date.now();
    if (left <= 0) return verdict;
    await new Promise((r) => setTimeout(r, Math.min(SAMPLE_INTERVAL_MS, left)));
  }
}

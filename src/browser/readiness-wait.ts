// The readiness loop, event-driven: the probe in the page answers as soon
// as the page has settled (within a frame of its last change) or after a
// bounded wait; the network side wakes on the next request event. The loop
// ends with the first ready verdict, or with the last one at the deadline.
// A page that stops answering (a script in an endless loop) is waited for
// until the deadline, then reported as unresponsive: it may recover, but it
// never holds the job past its budget.
import { setTimeout as delay } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { CourierError } from '../errors.js';
import { PageUnresponsiveError, type PageObserver } from './page-observer.js';
import { PROBE_GLOBAL, type Probe, type ProbeTarget } from './page-probe.js';
import { assessReadiness, DEFAULT_LIMITS, pageUnmet, type Limits, type NetworkState, type PageFacts, type ReadinessVerdict } from './readiness.js';

/** Longest single wait inside the page before Node looks again (network, deadline). */
const MAX_SETTLE_WAIT_MS = 1_000;
/** Longest wait for a navigation's document (one answered 204 never comes). */
const MAX_COMMIT_WAIT_MS = 5_000;
/** Pause before asking a document that has just replaced another (its context may not be ready yet). */
const NAVIGATION_PAUSE_MS = 50;
/** Extra time a settle call may take beyond its own wait before the page counts as unresponsive. */
const ANSWER_GRACE_MS = 1_000;

export interface ReadinessOutcome {
  verdict: ReadinessVerdict;
  /** The page's last answer (null if it never answered). */
  facts: PageFacts | null;
  network: NetworkState;
  /** Set when the page stopped answering: for how long, at the end. */
  unresponsiveForMs?: number;
}

/**
 * Told once, when the page is ready but for its last quiet frame: a capture
 * started then may be kept if nothing changes before the page is ready
 * (render.ts compares the probe's change counts).
 */
export type AlmostReady = (facts: PageFacts) => void;

/** Brings the whole element into view (render.ts, with whole-view.ts's rules). */
export interface WholeView {
  /** Grows the viewport if the element needs it: true when it grew (the page is then asked again). */
  fit(facts: PageFacts): Promise<boolean>;
  /** Why part of the element cannot be brought into view, once that is known (then it cannot count as ready). */
  readonly unseen: string | null;
}

export interface WaitOptions {
  limits?: Limits;
  onAlmostReady?: AlmostReady;
  view?: WholeView;
}

export async function waitUntilReady(page: Page, observer: PageObserver, target: ProbeTarget, deadline: number, options: WaitOptions = {}): Promise<ReadinessOutcome> {
  const { limits = DEFAULT_LIMITS, onAlmostReady, view } = options;
  let facts: PageFacts | null = null;
  let pending: Promise<PageFacts> | null = null;
  let silentSince: number | null = null;
  /** How many documents the top frame had committed when the pending question was asked. */
  let askedIn = observer.committed;
  const quiet = { quietMs: limits.quietMs, quietFrames: limits.quietFrames };
  // One frame short of quiet, and no time asked: the moment to start a capture that may be kept.
  const almost = { quietMs: 0, quietFrames: limits.quietFrames - 1 };
  let toldAlmost = !onAlmostReady;
  for (;;) {
    const left = deadline - Date.now();
    const wait = Math.max(0, Math.min(MAX_SETTLE_WAIT_MS, left));
    const early = toldAlmost ? undefined : almost;
    const asked = { ...target, growable: target.growable && view?.unseen == null };
    if (!pending) askedIn = observer.committed;
    pending ??= page.evaluate((name, t, q, maxWaitMs, e) => (window as unknown as Record<string, Probe>)[name]!.settle(t, q, maxWaitMs, e), PROBE_GLOBAL, asked, quiet, wait, early);
    try {
      // The grace may run past the deadline: a page that answers late is slow, not hung.
      facts = await observer.call('readiness', wait + ANSWER_GRACE_MS, () => pending!);
      pending = null;
      silentSince = null;
    } catch (err) {
      // A document came since the question was asked, or one is on its way (its commit may be told after this error).
      const navigated = observer.committed !== askedIn || observer.navigations > observer.committed;
      if (navigated && !(err instanceof PageUnresponsiveError) && !observer.crashed && Date.now() < deadline) {
        // The story navigated within the allowed origins, as a browser would
        // let it: the question died with the old document; ask the new one
        // (the probe is installed in every document) once it has come.
        pending = null;
        await observer.documentCommitted(Math.max(1, Math.min(MAX_COMMIT_WAIT_MS, deadline - Date.now())));
        await delay(NAVIGATION_PAUSE_MS);
        continue;
      }
      if (!(err instanceof PageUnresponsiveError)) throw err;
      // Keep waiting for the same answer: the page may come back before the deadline.
      silentSince ??= Date.now() - wait - ANSWER_GRACE_MS;
      if (deadline - Date.now() <= 0) {
        const network = observer.network();
        return { verdict: { ready: false, unmet: ['unresponsive'] }, facts: null, network, unresponsiveForMs: Date.now() - silentSince };
      }
      continue;
    }
    const errors = facts.renderErrors ?? [];
    if (errors.length > 0) {
      // The story says it failed: no use waiting for it (Kibana's data-render-error).
      throw new CourierError('DATA_FAILED', `ready: the story marked itself in error (data-render-error): ${errors.map((m) => JSON.stringify(m)).join(', ')}`);
    }
    if (asked.growable && view && (await view.fit(facts))) continue;
    const network = observer.network();
    const verdict = assessReadiness(facts, network, limits, view?.unseen != null);
    if (verdict.ready || deadline - Date.now() <= 0) return { verdict, facts, network };
    if (!toldAlmost && pageUnmet(facts, almost).length === 0) {
      // Once only: the page answers early just this time. With a request in flight, a capture now would rarely be kept.
      toldAlmost = true;
      if (network.inFlight.length === 0) onAlmostReady?.(facts);
    }
    if (verdict.unmet.length === 1 && verdict.unmet[0] === 'network') {
      // Settled in the page; the network decides. Look again at its next event, or when its quiet time is up.
      const quietLeft = network.inFlight.length > 0 ? MAX_SETTLE_WAIT_MS : limits.networkQuietMs - network.quietForMs;
      await observer.networkChange(Math.max(1, Math.min(quietLeft, deadline - Date.now())));
    }
  }
}

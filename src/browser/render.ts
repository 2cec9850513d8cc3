// One story, rendered: open → ready → (annotate) → capture. Each phase runs
// through runPhase (src/phases.ts): it has a budget, a log line, a metric
// and its time in `timings`, and an error that escapes names its phase and
// says what the page did. A story that is not ready is never captured.
//
// The parts: page-observer.ts (listeners, network, diagnostics, deadlines
// on calls into the page), page-probe.ts (what the page does, seen from
// inside), readiness.ts (the rules), readiness-wait.ts (the loop),
// request-router.ts (the network policy and the token), capture.ts.
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import type { Page } from 'puppeteer-core';
import { ProtocolError, TimeoutError } from 'puppeteer-core';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { observeAll, runPhase, type Phase, type PhaseObserver } from '../phases.js';
import { resolveStoryUrl } from '../urls.js';
import { OVERLAY_ID, annotationNodes, drawOverlay } from './annotate.js';
import { captureElement } from './capture.js';
import { surveyStory } from './element-survey.js';
import { policyFor, type NetworkPolicy } from './network-policy.js';
import { PageCrashedError, PageUnresponsiveError, type PageObserver } from './page-observer.js';
import type { BrowserPool, PageLease } from './pool.js';
import { DEFAULT_LIMITS, describeUnmet, type ElementClip, type PageFacts } from './readiness.js';
import { waitUntilReady, type ReadinessOutcome, type WholeView } from './readiness-wait.js';
import { classifyRenderError } from './render-errors.js';
import { PROBE_GLOBAL, type Probe } from './page-probe.js';
import { StoryLeave } from './story-leave.js';
import { storyPageOf, type StoryPage } from './story-page.js';
import { fitView } from './whole-view.js';
import { UNREACHABLE_HEADER } from './traffic/egress-proxy.js';
import type { How } from './traffic/refusals.js';
import type { StoryShape } from '../report/story-shape.js';
import type { Capture, PageDiagnostics, RenderRequest, RenderResult, RenderTimings, Renderer } from './types.js';

/** Budgets of the phases after readiness (open + ready share the request's timeoutMs). */
export const PHASE_BUDGET_MS = { annotate: 5_000, capture: 30_000 } as const;
/** How long the screenshot of a page that timed out may take (a hung page may not give one). */
const TIMEOUT_SCREENSHOT_MS = 3_000;
/** Grace for calls that Chromium bounds itself (navigation), so its own error wins. */
const CALL_GRACE_MS = 1_000;

export interface RendererDeps {
  config: Pick<Config, 'frontendUrl' | 'backendUrl' | 'allowedOrigins' | 'busySelector'> & Partial<Pick<Config, 'ignoreSelector'>>;
  pool: BrowserPool;
  log: Logger;
}

export function createRenderer(deps: RendererDeps): Renderer {
  return { render: (request) => renderStory(deps, request) };
}

async function renderStory(deps: RendererDeps, request: RenderRequest): Promise<RenderResult> {
  // Last gate before anything loads: the story must live on the frontend.
  const frontend = deps.config.frontendUrl ?? new URL(request.url.origin);
  resolveStoryUrl(request.url.toString(), frontend);
  const policy = policyFor(deps.config, frontend);
  let session: StorySession | null = null;
  try {
    return await deps.pool.withPage(async (page, lease) => {
      session = new StorySession(await storyPageOf(page), lease, policy, request, deps);
      return session.run();
    }, request.signal);
  } catch (err) {
    throw classifyRenderError(err, (session as StorySession | null)?.phase ?? 'open', request.signal);
  }
}

class StorySession {
  phase: Phase = 'open';
  private readyFacts: PageFacts | null = null;
  private earlyCapture: { changes: number; capture: Promise<Capture[]> } | null = null;
  /** Why part of the element could not be brought into view (null: all of it was, or it fits). */
  private unseen: string | null = null;
  private growths = 0;
  /** What the page kept moving that was not waited for (decoration, ignored), named in the log and result. */
  private ignoredMotion: string[] = [];
  /** The element's survey, when the request chooses its formats from it (a report page). */
  private shape: StoryShape | undefined;
  /** Ends this job's mark on the pool's capture gate (null: not capturing). */
  private endCapturing: (() => void) | null = null;
  private readonly page: Page;
  private readonly observer: PageObserver;
  private readonly log: Logger;
  /** Ends the render (FORBIDDEN_URL) the moment the story tries to leave the allowed origins. */
  private readonly leave = new StoryLeave();
  private finished = false;

  constructor(
    private readonly story: StoryPage,
    private readonly lease: PageLease,
    private readonly policy: NetworkPolicy,
    private readonly request: RenderRequest,
    private readonly deps: RendererDeps,
  ) {
    this.page = story.page;
    this.observer = story.observer;
    this.log = request.log ?? deps.log;
  }

  async run(): Promise<RenderResult> {
    const phases = this.phases();
    phases.catch(() => undefined); // when the story left, the phases end with the page, unheard
    try {
      return await Promise.race([phases, this.leave.left]);
    } finally {
      this.finished = true;
      this.endCapturing?.();
    }
  }

  /** The story tried to take its top frame outside the allowed origins (story-leave.ts). */
  private leaving(url: string, how: How): void {
    if (this.finished) return;
    this.leave.tried(url, how, { story: this.request.url.toString(), phase: this.phase, log: this.log, refused: this.observer.diagnostics.refused });
  }

  private async phases(): Promise<RenderResult> {
    const { request } = this;
    const deadline = Date.now() + request.timeoutMs;
    const timings: RenderTimings = { openMs: 0, readyMs: 0, captureMs: 0 };
    timings.openMs = await this.inPhase('open', () => this.open(deadline));
    timings.readyMs = await this.inPhase('ready', () => this.waitUntilReady(deadline));
    const annotations = request.annotations ?? [];
    if (annotations.length > 0) {
      timings.annotateMs = await this.inPhase('annotate', () => this.annotate(annotations), PHASE_BUDGET_MS.annotate);
    }
    let captures: Capture[] = [];
    timings.captureMs = await this.inPhase(
      'capture',
      async () => {
        this.beginCapturing();
        captures = (await this.keptEarlyCapture()) ?? (await this.stillDecoration(), await this.captureAll(this.readyFacts?.clip ?? null));
      },
      PHASE_BUDGET_MS.capture,
    );
    this.endCapturing?.();
    this.lease.egress.bind(null);
    this.reportMisbehaviour();
    return { captures, timings, diagnostics: { ...this.observer.diagnostics, ignoredMotion: this.ignoredMotion }, ...(this.shape ? { shape: this.shape } : {}) };
  }

  private async inPhase(phase: Phase, work: () => Promise<void>, budgetMs?: number): Promise<number> {
    this.phase = phase;
    const logLine: PhaseObserver = (name, ms, event) => {
      if (event !== 'started') this.log.debug({ phase: name, ms, outcome: event, url: this.request.url.toString() }, `render phase ${name} ${event === 'ok' ? 'done' : 'failed'}`);
    };
    const observe = observeAll(logLine, this.request.onPhase);
    const { ms } = await runPhase(phase, work, {
      budgetMs,
      overBudget: () => new CourierError('BROWSER_CRASHED', `${phase}: Chromium did not finish within ${budgetMs} ms; it is probably hung, and the job will be retried`),
      classify: (err) => classifyRenderError(err, phase, this.request.signal),
      observe,
    });
    return ms;
  }

  // ── open ────────────────────────────────────────────────────────────────
  private async open(deadline: number): Promise<void> {
    const { page, request, observer, policy, lease, story } = this;
    // From here on, everything the story starts is this job's: the requests
    // its page makes, what its context sends through the egress proxy, and
    // the targets it opens. (The page itself was made ready ahead: story-page.ts.)
    story.bind({ policy, token: request.token, observer, log: this.log, cache: lease.cache, onLeave: (url, how) => this.leaving(url, how) });
    lease.egress.bind({
      policy,
      onRefused: (refusal) => observer.ledger.proxyRefused(refusal),
      onUpstreamError: (target, message) => this.log.debug({ target, message }, 'egress proxy could not reach an allowed server'),
    });
    lease.watchTargets({ policy, ledger: observer.ledger, pageTargetId: observer.targetId, followWorker: (session) => observer.followWorker(session) });
    await story.setViewport(request.viewport);
    if (request.timezone) await page.emulateTimezone(request.timezone);
    if (request.lang) {
      // Accept-Language on every request, and navigator.language(s) + Intl defaults in the page.
      const cdp = await page.createCDPSession();
      const userAgent = await page.browser().userAgent();
      await cdp.send('Emulation.setUserAgentOverride', { userAgent, acceptLanguage: request.lang });
      await cdp.send('Emulation.setLocaleOverride', { locale: request.lang.replace(/-/g, '_') });
    }

    const left = Math.max(1, deadline - Date.now());
    let response;
    try {
      response = await observer.call('open', left + CALL_GRACE_MS, () => page.goto(request.url.toString(), { waitUntil: 'domcontentloaded', timeout: left }));
    } catch (err) {
      throw await this.openFailure(err);
    }
    const status = response?.status() ?? null;
    // The egress proxy could not reach the frontend: say it as Chromium would have.
    const unreachable = response?.headers()[UNREACHABLE_HEADER];
    if (status === 502 && unreachable) {
      throw new CourierError('NAVIGATION_FAILED', `open: the story document could not be loaded (${unreachable} at ${request.url.toString()}); check FRONTEND_URL and that the frontend is reachable from the worker (courier doctor)`);
    }
    if (status !== null) observer.noteDocumentStatus(status);
    if (status !== null && status >= 400) {
      throw new CourierError('NAVIGATION_FAILED', `open: the story document ${request.url.toString()} answered HTTP ${status}`);
    }
  }

  private async openFailure(err: unknown): Promise<unknown> {
    const { request, observer } = this;
    // A crash, a lost browser, or an error we already coded: classified as they are.
    if (err instanceof PageCrashedError || err instanceof ProtocolError || err instanceof CourierError) return err;
    if (err instanceof TimeoutError || err instanceof PageUnresponsiveError) {
      // The document answered but never finished parsing: that is a readiness failure.
      if (observer.diagnostics.documentStatus !== null) return this.notReady({ verdict: { ready: false, unmet: ['selector'] }, facts: null, network: observer.network() });
      return new CourierError('NAVIGATION_FAILED', `open: no answer from ${request.url.origin} for the story document within ${request.timeoutMs} ms; check that the frontend is reachable from the worker (courier doctor)`);
    }
    // Chromium's own navigation errors (net::ERR_CONNECTION_REFUSED, …).
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return new CourierError('NAVIGATION_FAILED', `open: the story document could not be loaded (${reason}); check FRONTEND_URL and that the frontend is reachable from the worker (courier doctor)`);
  }

  // ── ready ───────────────────────────────────────────────────────────────
  private async waitUntilReady(deadline: number): Promise<void> {
    const ignore = [this.deps.config.ignoreSelector ?? '', ...(this.request.ignore ?? [])].map((s) => s.trim()).filter((s) => s.length > 0);
    const target = { selector: this.request.selector, busySelector: this.deps.config.busySelector, ignore: ignore.length > 0 ? ignore.join(', ') : null, growable: true };
    const outcome = await waitUntilReady(this.page, this.observer, target, deadline, {
      limits: DEFAULT_LIMITS,
      onAlmostReady: this.mayCaptureEarly() ? (facts) => this.startEarlyCapture(facts) : undefined,
      view: this.wholeView(),
    });
    if (!outcome.verdict.ready) throw await this.notReady(outcome);
    this.readyFacts = outcome.facts;
    this.ignoredMotion = outcome.facts?.decoration ?? [];
    this.log.debug({ url: this.request.url.toString(), lastChange: outcome.facts?.lastChange, quietForMs: outcome.facts?.quietForMs, quietFrames: outcome.facts?.quietFrames, viewport: this.story.viewportNow }, 'story ready');
    if (this.ignoredMotion.length > 0) this.log.info({ story: this.request.url.toString(), ignoredMotion: this.ignoredMotion }, 'the story keeps moving: its decoration was not waited for, and is captured at its start');
  }

  /** Grows the viewport to the element (whole-view.ts) before it is judged, and again when it outgrows it. */
  private wholeView(): WholeView {
    const unseen = () => this.unseen;
    return {
      get unseen() {
        return unseen();
      },
      fit: (facts) => this.growToElement(facts),
    };
  }

  private async growToElement(facts: PageFacts): Promise<boolean> {
    if (!facts.box || !facts.selectorVisible) return false;
    const fit = fitView(facts.box, this.story.viewportNow ?? this.request.viewport, this.growths);
    if (fit.kind === 'fits') return false;
    if (fit.kind === 'too-large') {
      this.unseen = fit.why;
      return false;
    }
    this.growths += 1;
    this.log.debug({ url: this.request.url.toString(), viewport: fit.viewport, growths: this.growths }, 'viewport grown to the element');
    await this.observer.call('grow', PHASE_BUDGET_MS.annotate, async () => {
      await this.story.setViewport(fit.viewport);
      // The clip is taken from the unscrolled page: the whole element now fits, so nothing needs scrolling.
      await this.page.evaluate(() => window.scrollTo(0, 0));
    });
    return true;
  }

  /** Declared decoration goes back to its start for the capture (Playwright does the same), then a frame is drawn. */
  private async stillDecoration(): Promise<void> {
    if (this.ignoredMotion.length === 0) return;
    await this.observer.call('capture', PHASE_BUDGET_MS.capture, () =>
      this.page.evaluate(async (name) => {
        (window as unknown as Record<string, Probe>)[name]!.still();
        await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      }, PROBE_GLOBAL),
    );
  }

  /**
   * A single picture of the element, nothing drawn over it: it may be
   * captured while the page waits for its last quiet frame, and kept only
   * if the page then turns out ready with nothing changed since the capture
   * began (the probe's change count, read before the capture, is the same
   * at ready). The picture is then the final frame, and the job saves a
   * capture's time. Otherwise it is dropped and the capture is taken again.
   */
  private mayCaptureEarly(): boolean {
    const { formats, annotations, choose } = this.request;
    return (choose !== undefined || (formats.length === 1 && formats[0] !== 'pdf')) && (annotations ?? []).length === 0;
  }

  /** From the first capture call to the last, the pool holds its background work (pool.ts, capture-gate.ts). */
  private beginCapturing(): void {
    this.endCapturing ??= this.lease.capturing();
  }

  private startEarlyCapture(facts: PageFacts): void {
    this.beginCapturing();
    const capture = this.observer.call('capture', PHASE_BUDGET_MS.capture, () => this.captureAll(facts.clip, 'early'));
    capture.catch(() => undefined); // an early capture that fails is only dropped
    this.earlyCapture = { changes: facts.changes, capture };
  }

  /** The early capture, if it shows the page as it was when found ready; null otherwise. */
  private async keptEarlyCapture(): Promise<Capture[] | null> {
    const early = this.earlyCapture;
    if (!early) return null;
    this.earlyCapture = null;
    // Decoration is reset to its start before the capture: a picture taken before that is not the one wanted.
    const kept = this.readyFacts !== null && this.readyFacts.changes === early.changes && this.ignoredMotion.length === 0;
    this.log.debug({ url: this.request.url.toString(), kept, changes: [early.changes, this.readyFacts?.changes] }, kept ? 'early capture kept' : 'early capture dropped: the page changed after it began');
    try {
      const captures = await early.capture;
      return kept ? captures : null;
    } catch {
      return null;
    }
  }

  /** The SELECTOR_TIMEOUT error: what was unmet and what the page did, with a screenshot of the page as it was. */
  private async notReady(outcome: ReadinessOutcome): Promise<CourierError> {
    const { request, observer } = this;
    const diagnostics = observer.diagnostics;
    const shot = outcome.verdict.unmet.includes('unresponsive') ? null : await this.keepTimeoutScreenshot();
    const still = describeUnmet(outcome.verdict.unmet, {
      selector: request.selector,
      busySelector: this.deps.config.busySelector,
      facts: outcome.facts,
      network: outcome.network,
      unresponsiveForMs: outcome.unresponsiveForMs,
      requested: (url) => observer.wasRequested(url),
      unseen: this.unseen ?? undefined,
    });
    const parts = [
      `waiting for selector ${JSON.stringify(request.selector)} failed: timeout ${request.timeoutMs}ms exceeded`,
      `still unmet: ${still}`,
      `page ${request.url.toString()} (HTTP ${diagnostics.documentStatus ?? 'no response'})`,
    ];
    const details = [
      diagnostics.failedRequests.length > 0 ? `failed requests: ${diagnostics.failedRequests.map(describeFailure).join(', ')}` : 'failed requests: none',
      diagnostics.blockedRequests.length > 0 ? `blocked: ${diagnostics.blockedRequests.join(', ')}` : null,
      `console errors: ${diagnostics.consoleErrorCount}${diagnostics.consoleErrors[0] ? ` (first: ${diagnostics.consoleErrors[0]})` : ''}`,
      diagnostics.dialogs.length > 0 ? `dialogs dismissed: ${diagnostics.dialogs.join(', ')}` : null,
      shot ? `see ${shot}` : null,
    ].filter((d): d is string => d !== null);
    return new CourierError('SELECTOR_TIMEOUT', `${parts.join(' — ')}; ${details.join('; ')}`);
  }

  private async keepTimeoutScreenshot(): Promise<string | null> {
    const path = this.request.timeoutScreenshotPath;
    if (!path) return null;
    try {
      await mkdir(dirname(path), { recursive: true });
      await this.observer.call('timeout screenshot', TIMEOUT_SCREENSHOT_MS, () => this.page.screenshot({ path, type: 'png' }));
      return displayPath(path);
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not keep the timeout screenshot');
      return null;
    }
  }

  // ── annotate ────────────────────────────────────────────────────────────
  private async annotate(annotations: NonNullable<RenderRequest['annotations']>): Promise<void> {
    await this.observer.call('annotate', PHASE_BUDGET_MS.annotate, () => this.page.evaluate(drawOverlay, this.request.selector, OVERLAY_ID, annotationNodes(annotations)));
  }

  // ── capture ─────────────────────────────────────────────────────────────
  /** `clip`: the element's box as the probe last saw it (see captureElement). */
  private async captureAll(clip: ElementClip | null, early?: 'early'): Promise<Capture[]> {
    const { page, request, observer } = this;
    const call = <T>(work: () => Promise<T>) => observer.call('capture', PHASE_BUDGET_MS.capture, work);
    let formats = request.formats;
    if (request.choose) {
      const shape = await call(() => surveyStory(page, request.selector));
      if (!shape) throw new CourierError('SELECTOR_TIMEOUT', `capture: the element ${JSON.stringify(request.selector)} disappeared after the story was ready`);
      this.shape = shape;
      formats = request.choose(shape);
      // A PDF restyles the page for print: taken early, it would disturb the page still being judged. It waits for ready.
      if (early && formats.includes('pdf')) throw new Error('a vector capture is not taken early');
    }
    const captures: Capture[] = [];
    for (const format of formats) captures.push(await call(() => captureElement(page, observer.session, request.selector, format, clip)));
    return captures;
  }

  /** A story that rendered although it misbehaved is named in the job's log. */
  private reportMisbehaviour(): void {
    const { diagnostics } = this.observer;
    const story = this.request.url.toString();
    if (diagnostics.refused.length > 0) this.log.warn({ story, refused: diagnostics.refused }, 'the story tried to load URLs outside the network policy; they were blocked');
    if (diagnostics.dialogs.length > 0) this.log.warn({ story, dialogs: diagnostics.dialogs }, 'the story opened dialogs; they were dismissed and the story rendered on');
  }
}

function describeFailure(f: PageDiagnostics['failedRequests'][number]): string {
  return `${f.method} ${f.url} → ${f.status ?? f.error ?? 'failed'}`;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

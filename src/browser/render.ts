// One story, rendered: open → ready → (annotate) → capture. Each phase has a
// budget, a log line and its time in `timings`; an error names its phase and
// says what the page did. A story that is not ready is never captured.
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import { imageSize } from 'image-size';
import { PDFDocument } from 'pdf-lib';
import type { ElementHandle, HTTPRequest, Page } from 'puppeteer-core';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { resolveStoryUrl } from '../urls.js';
import { OVERLAY_ID, annotationNodes, drawOverlay } from './annotate.js';
import { decide, outgoingHeaders, policyFor, type NetworkPolicy } from './network-policy.js';
import type { BrowserPool } from './pool.js';
import { describeUnmet, type Condition } from './readiness.js';
import { waitUntilReady } from './readiness-wait.js';
import { MIME_BY_FORMAT, type Capture, type PageDiagnostics, type RenderRequest, type RenderResult, type RenderTimings, type Renderer } from './types.js';

export type Phase = 'open' | 'ready' | 'annotate' | 'capture';

/** Budgets of the phases after readiness (open + ready share the job's timeoutMs). */
export const PHASE_BUDGET_MS = { annotate: 5_000, capture: 30_000 } as const;

const MAX_LISTED = 10;
const JPEG_QUALITY = 85;
const CAPTURE_ATTR = 'data-courier-capture';
export const NAME_SHIM = "if (!('__name' in globalThis)) Object.defineProperty(globalThis, '__name', { value: (f) => f, configurable: true });";

export interface RendererDeps {
  config: Config;
  pool: BrowserPool;
  log: Logger;
  /** Called after each phase, e.g. to feed a histogram. */
  onPhase?: (phase: Phase, ms: number) => void;
}

export function createRenderer(deps: RendererDeps): Renderer {
  return { render: (request) => renderStory(deps, request) };
}

async function renderStory(deps: RendererDeps, request: RenderRequest): Promise<RenderResult> {
  // Last gate before anything loads: the story must live on the frontend.
  const frontend = deps.config.frontendUrl ?? new URL(request.url.origin);
  resolveStoryUrl(request.url.toString(), frontend);
  const policy = policyFor(deps.config, frontend);
  try {
    return await deps.pool.withPage((page) => new StorySession(page, policy, request, deps).run(), request.signal);
  } catch (err) {
    throw asCourierError(err, request);
  }
}

class StorySession {
  private readonly diagnostics: PageDiagnostics = { documentStatus: null, failedRequests: [], blockedRequests: [], consoleErrors: [], consoleErrorCount: 0 };
  private readonly inFlight = new Set<HTTPRequest>();
  private lastActivityAt = Date.now();
  private crashed = false;
  private phase: Phase = 'open';

  constructor(
    private readonly page: Page,
    private readonly policy: NetworkPolicy,
    private readonly request: RenderRequest,
    private readonly deps: RendererDeps,
  ) {}

  async run(): Promise<RenderResult> {
    const { request } = this;
    const deadline = Date.now() + request.timeoutMs;
    const timings: RenderTimings = { openMs: 0, readyMs: 0, captureMs: 0 };

    timings.openMs = await this.timed('open', () => this.open(deadline));
    timings.readyMs = await this.timed('ready', () => this.waitUntilReady(deadline));
    if (request.annotations && request.annotations.length > 0) {
      const annotations = request.annotations;
      timings.annotateMs = await this.timed('annotate', () => this.withBudget('annotate', () => this.annotate(annotations)));
    }
    let captures: Capture[] = [];
    timings.captureMs = await this.timed('capture', async () => {
      captures = await this.withBudget('capture', () => this.captureAll());
    });
    return { captures, timings, diagnostics: this.diagnostics };
  }

  private async timed(phase: Phase, work: () => Promise<void>): Promise<number> {
    this.phase = phase;
    const started = performance.now();
    await work();
    const ms = Math.round(performance.now() - started);
    this.deps.log.debug({ phase, ms, url: this.request.url.toString() }, `render phase ${phase} done`);
    this.deps.onPhase?.(phase, ms);
    return ms;
  }

  private async withBudget<T>(phase: 'annotate' | 'capture', work: () => Promise<T>): Promise<T> {
    const budget = PHASE_BUDGET_MS[phase];
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CourierError('BROWSER_CRASHED', `${phase}: Chromium did not finish within ${budget} ms; it is probably hung, and the job will be retried`)),
        budget,
      );
    });
    try {
      return await Promise.race([work(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ── open ────────────────────────────────────────────────────────────────
  private async open(deadline: number): Promise<void> {
    const { page, request } = this;
    page.on('error', () => {
      this.crashed = true;
    });
    page.on('console', (message) => {
      if (message.type() === 'error') this.noteConsoleError(message.text());
    });
    page.on('pageerror', (error) => this.noteConsoleError(error instanceof Error ? error.message : String(error)));
    page.on('requestfinished', (req) => this.settle(req));
    page.on('requestfailed', (req) => {
      if (this.settle(req)) {
        this.listFailure({ method: req.method(), url: req.url(), status: null, error: req.failure()?.errorText ?? 'failed' });
      }
    });
    page.on('response', (res) => {
      // Headers in = no longer waiting on the network: a body the page never
      // reads (or a stream such as SSE) would otherwise keep it "busy" forever.
      this.settle(res.request());
      if (res.request().isNavigationRequest() && res.frame() === page.mainFrame()) this.diagnostics.documentStatus = res.status();
      if (res.status() >= 400) this.listFailure({ method: res.request().method(), url: res.url(), status: res.status() });
    });
    page.on('request', (req) => this.route(req));

    // Functions we evaluate in the page are serialised from this process. Under
    // esbuild-based runners (vitest, tsx) they reference esbuild's `__name`
    // helper, which the page lacks; tsc output never does. A no-op keeps both working.
    await page.evaluateOnNewDocument(NAME_SHIM);
    await page.setRequestInterception(true);
    await page.setBypassServiceWorker(true);
    await page.setViewport(request.viewport);
    if (request.timezone) await page.emulateTimezone(request.timezone);
    if (request.lang) {
      // Accept-Language on every request, and navigator.language(s) + Intl defaults in the page.
      const cdp = await page.createCDPSession();
      const userAgent = await page.browser().userAgent();
      await cdp.send('Emulation.setUserAgentOverride', { userAgent, acceptLanguage: request.lang });
      await cdp.send('Emulation.setLocaleOverride', { locale: request.lang.replace(/-/g, '_') });
    }

    let response;
    try {
      response = await page.goto(request.url.toString(), { waitUntil: 'domcontentloaded', timeout: Math.max(1, deadline - Date.now()) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/timeout/i.test(message) && this.diagnostics.documentStatus !== null) {
        // The document answered but never finished parsing: that is a readiness failure.
        throw await this.notReady(['selector'], 'the document never finished loading');
      }
      if (/timeout/i.test(message)) {
        throw new CourierError('NAVIGATION_FAILED', `open: no answer from ${request.url.origin} for the story document within ${request.timeoutMs} ms; check that the frontend is reachable from the worker (courier doctor)`);
      }
      if (this.crashed || /Target closed|Session closed|Connection closed|detached/i.test(message)) throw err;
      throw new CourierError('NAVIGATION_FAILED', `open: the story document could not be loaded (${message.split('\n')[0]}); check FRONTEND_URL and that the frontend is reachable from the worker (courier doctor)`);
    }
    const status = response?.status() ?? null;
    if (status !== null) this.diagnostics.documentStatus = status;
    if (status !== null && status >= 400) {
      throw new CourierError('NAVIGATION_FAILED', `open: the story document ${request.url.toString()} answered HTTP ${status}`);
    }
  }

  /** Applies the network policy to one request. */
  private route(req: HTTPRequest): void {
    if (req.isInterceptResolutionHandled()) return;
    const url = req.url();
    const decision = decide(url, this.policy);
    if (decision.action === 'block') {
      if (this.diagnostics.blockedRequests.length < MAX_LISTED) this.diagnostics.blockedRequests.push(url);
      this.deps.log.debug({ url, reason: decision.reason }, 'request blocked by the network policy');
      void req.abort('blockedbyclient').catch(() => undefined);
      return;
    }
    if (/^https?:/.test(url)) {
      this.inFlight.add(req);
      this.lastActivityAt = Date.now();
    }
    const token = this.request.token;
    const touchesHeaders = token !== undefined;
    const continued = touchesHeaders ? req.continue({ headers: outgoingHeaders(req.headers(), decision, token) }) : req.continue();
    void continued.catch(() => undefined);
  }

  /** Marks a request as no longer in flight; true if it was one we let through. */
  private settle(req: HTTPRequest): boolean {
    const known = this.inFlight.delete(req);
    if (known) this.lastActivityAt = Date.now();
    return known;
  }

  private listFailure(entry: PageDiagnostics['failedRequests'][number]): void {
    if (this.diagnostics.failedRequests.length < MAX_LISTED) this.diagnostics.failedRequests.push(entry);
  }

  private noteConsoleError(text: string): void {
    this.diagnostics.consoleErrorCount += 1;
    if (this.diagnostics.consoleErrors.length < MAX_LISTED) this.diagnostics.consoleErrors.push(text.slice(0, 300));
  }

  // ── ready ───────────────────────────────────────────────────────────────
  private async waitUntilReady(deadline: number): Promise<void> {
    const verdict = await waitUntilReady(this.page, {
      selector: this.request.selector,
      busySelector: this.deps.config.busySelector,
      network: { state: () => this.network() },
      deadline,
    });
    if (!verdict.ready) throw await this.notReady(verdict.unmet);
  }

  private network() {
    return { inFlight: this.inFlight.size, lastActivityAt: this.lastActivityAt };
  }

  /** Builds the SELECTOR_TIMEOUT error, keeping a screenshot of the page as it was. */
  private async notReady(unmet: Condition[], extra?: string): Promise<CourierError> {
    const { request, diagnostics } = this;
    const shot = await this.keepTimeoutScreenshot();
    const parts = [
      `waiting for selector ${JSON.stringify(request.selector)} failed: timeout ${request.timeoutMs}ms exceeded`,
      `still unmet: ${extra ?? describeUnmet(unmet, request.selector, this.deps.config.busySelector, this.network())}`,
      `page ${request.url.toString()} (HTTP ${diagnostics.documentStatus ?? 'no response'})`,
    ];
    const details = [
      diagnostics.failedRequests.length > 0 ? `failed requests: ${diagnostics.failedRequests.map(describeFailure).join(', ')}` : 'failed requests: none',
      diagnostics.blockedRequests.length > 0 ? `blocked: ${diagnostics.blockedRequests.join(', ')}` : null,
      `console errors: ${diagnostics.consoleErrorCount}${diagnostics.consoleErrors[0] ? ` (first: ${diagnostics.consoleErrors[0]})` : ''}`,
      shot ? `see ${shot}` : null,
    ].filter((d): d is string => d !== null);
    return new CourierError('SELECTOR_TIMEOUT', `${parts.join(' — ')}; ${details.join('; ')}`);
  }

  private async keepTimeoutScreenshot(): Promise<string | null> {
    const path = this.request.timeoutScreenshotPath;
    if (!path) return null;
    try {
      await mkdir(dirname(path), { recursive: true });
      await this.withBudget('capture', () => this.page.screenshot({ path: path, type: 'png' }));
      return displayPath(path);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not keep the timeout screenshot');
      return null;
    }
  }

  // ── annotate ────────────────────────────────────────────────────────────
  private async annotate(annotations: NonNullable<RenderRequest['annotations']>): Promise<void> {
    await this.page.evaluate(drawOverlay, this.request.selector, OVERLAY_ID, annotationNodes(annotations));
  }

  // ── capture ─────────────────────────────────────────────────────────────
  private async captureAll(): Promise<Capture[]> {
    const element = await this.page.$(this.request.selector);
    if (!element) throw new CourierError('SELECTOR_TIMEOUT', `capture: the element ${JSON.stringify(this.request.selector)} disappeared after the story was ready`);
    const captures: Capture[] = [];
    for (const format of this.request.formats) {
      captures.push(format === 'pdf' ? await this.capturePdf(element) : await this.captureImage(element, format));
    }
    return captures;
  }

  private async captureImage(element: ElementHandle, format: 'png' | 'jpeg'): Promise<Capture> {
    return captureElementImage(element, format);
  }

  /**
   * A vector PDF of the element alone: everything else is hidden, the
   * element is pinned to the top-left corner, and the page is its size.
   * Text stays text, and the chart's SVG stays vector.
   */
  private async capturePdf(element: ElementHandle): Promise<Capture> {
    const { page } = this;
    const box = await element.evaluate((el, attr) => {
      el.setAttribute(attr, '');
      const r = el.getBoundingClientRect();
      return { width: Math.ceil(r.width), height: Math.ceil(r.height) };
    }, CAPTURE_ATTR);
    const style = await page.addStyleTag({ content: isolationCss(box.width, box.height) });
    try {
      await page.emulateMediaType('screen');
      const bytes = await page.pdf({
        width: `${box.width}px`,
        height: `${box.height}px`,
        printBackground: true,
        margin: { top: 0, right: 0, bottom: 0, left: 0 },
        pageRanges: '1',
      });
      const data = Buffer.from(bytes);
      const pages = (await PDFDocument.load(data, { updateMetadata: false })).getPageCount();
      return { format: 'pdf', mime: MIME_BY_FORMAT.pdf, data, width: box.width, height: box.height, pages };
    } finally {
      // Later captures (a PNG after the PDF) see the page as it was.
      await style.evaluate((node) => node.remove()).catch(() => undefined);
      await element.evaluate((el, attr) => el.removeAttribute(attr), CAPTURE_ATTR).catch(() => undefined);
      await page.emulateMediaType().catch(() => undefined);
    }
  }
}

/** A PNG or JPEG of the element alone, at its CSS size × deviceScaleFactor (also the benchmark floor's capture). */
export async function captureElementImage(element: ElementHandle, format: 'png' | 'jpeg'): Promise<Capture> {
  const bytes = await element.screenshot(format === 'jpeg' ? { type: 'jpeg', quality: JPEG_QUALITY } : { type: 'png' });
  const data = Buffer.from(bytes);
  const { width, height } = imageSize(data);
  return { format, mime: MIME_BY_FORMAT[format], data, width, height, pages: null };
}

function isolationCss(width: number, height: number): string {
  return `
    html, body { margin: 0 !important; padding: 0 !important; background: transparent !important; overflow: hidden !important; }
    body * { visibility: hidden !important; }
    [${CAPTURE_ATTR}], [${CAPTURE_ATTR}] *, #${OVERLAY_ID}, #${OVERLAY_ID} * { visibility: visible !important; }
    [${CAPTURE_ATTR}] { position: fixed !important; left: 0 !important; top: 0 !important; margin: 0 !important;
      width: ${width}px !important; height: ${height}px !important; box-sizing: border-box !important; }
    #${OVERLAY_ID} { position: fixed !important; left: 0 !important; top: 0 !important; }
    @page { size: ${width}px ${height}px; margin: 0; }
  `;
}

function describeFailure(f: PageDiagnostics['failedRequests'][number]): string {
  return `${f.method} ${f.url} → ${f.status ?? f.error ?? 'failed'}`;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

const CRASH_PATTERN = /Target closed|Session closed|Connection closed|Protocol error|detached|browser has disconnected|Page crashed|TargetCloseError/i;

/** Every error leaving the renderer carries a code (CONTRACT §5). */
function asCourierError(err: unknown, request: RenderRequest): CourierError {
  if (request.signal?.aborted) {
    return new CourierError('JOB_TIMEOUT', 'the job deadline (JOB_TIMEOUT_MS) passed during the render', { cause: err });
  }
  if (err instanceof CourierError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (CRASH_PATTERN.test(message)) {
    return new CourierError('BROWSER_CRASHED', `Chromium crashed or disconnected during the render (${message.split('\n')[0]}); the job will be retried on a fresh browser`, { cause: err });
  }
  return new CourierError('BROWSER_CRASHED', `the render failed unexpectedly (${message.split('\n')[0]})`, { cause: err });
}


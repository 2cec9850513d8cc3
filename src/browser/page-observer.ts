// The render engine's eyes on one story page, from Node's side: what the
// network does (every request in flight by its id, with its URL and age),
// what went wrong (failed and refused requests, console errors, dialogs),
// and whether the page is still alive. Listeners are attached before the
// first navigation. Every call into the page goes through `call()`, which
// gives it a deadline and ends it at once if the renderer crashes, so a hung
// or dead page can never hold a job past its budget.
import type { CDPSession, Page } from 'puppeteer-core';
import { CourierError } from '../errors.js';
import { decideWebSocket, hostPortOf, type NetworkPolicy } from './network-policy.js';
import type { InFlightRequest, NetworkState } from './readiness.js';
import { REFUSED_HEADER } from './traffic/egress-proxy.js';
import { RefusalLedger, type RefusedTarget } from './traffic/refusals.js';
import type { PageDiagnostics } from './types.js';

const MAX_LISTED = 10;
const MAX_REMEMBERED_URLS = 5_000;

interface Tracked {
  /** The document loader it belongs to (a worker's requests have their own). */
  loaderId: string;
  method: string;
  url: string;
  startedAt: number;
}

/** Rejected when the page's renderer dies (out of memory, killed). */
export class PageCrashedError extends Error {
  constructor() {
    super('the story page crashed: its renderer process died (out of memory, or killed)');
    this.name = 'PageCrashedError';
  }
}

/** A call into the page that did not answer within its deadline. */
export class PageUnresponsiveError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: the page did not answer within ${ms} ms (its main thread is busy without end)`);
    this.name = 'PageUnresponsiveError';
  }
}

export class PageObserver {
  /** Everything the story tried to reach and was refused, wherever it was refused (router, proxy, popup guard). */
  readonly ledger = new RefusalLedger((target) => this.forgetRefused(target));
  private readonly refusedUrls = new Set<string>();
  private readonly refusedHostPorts = new Set<string>();
  private readonly seen: Omit<PageDiagnostics, 'blockedRequests' | 'refused'> = { documentStatus: null, failedRequests: [], consoleErrors: [], consoleErrorCount: 0, dialogs: [] };
  /** Chromium's id of the page's target (known after attach). */
  targetId = '';
  /** The job's network policy, once the page has a job. */
  policy: NetworkPolicy | null = null;
  private cdp: CDPSession | null = null;
  /** Requests in flight, by Chromium's request id: a request seen twice (a font, a merged preload) is one entry. */
  private readonly inFlight = new Map<string, Tracked>();
  /** Every URL the page asked Chromium for (the first few thousand): a picture missing from it was never requested. */
  private readonly requestedUrls = new Set<string>();
  /** Documents the page's top frame has started to load (its first included): one more means it is navigating. */
  navigations = 0;
  /** Documents the top frame has committed. */
  committed = 0;
  private readonly commitWaiters = new Set<() => void>();
  private lastNetworkActivityAt = Date.now();
  private readonly networkWaiters = new Set<() => void>();
  private crash: PageCrashedError | null = null;
  private readonly crashWaiters = new Set<(err: PageCrashedError) => void>();

  constructor(page: Page) {
    page.on('error', () => this.onCrash());
    page.on('console', (message) => {
      if (message.type() === 'error') this.noteConsoleError(message.text());
    });
    page.on('pageerror', (error) => this.noteConsoleError(error instanceof Error ? error.message : String(error)));
    page.on('dialog', (dialog) => {
      // A dialog stops the page's scripts until someone answers it; nobody is there to.
      if (this.seen.dialogs.length < MAX_LISTED) this.seen.dialogs.push(`${dialog.type()}: ${dialog.message().slice(0, 200)}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('response', (res) => {
      if (res.request().isNavigationRequest() && res.frame() === page.mainFrame()) this.seen.documentStatus = res.status();
    });
  }

  /** What the page did, refusals included (as far as known now). */
  get diagnostics(): PageDiagnostics {
    const refused = this.ledger.list();
    return { ...this.seen, blockedRequests: [...new Set(refused.map((r) => r.url))].slice(0, MAX_LISTED), refused };
  }

  noteDocumentStatus(status: number): void {
    this.seen.documentStatus = status;
  }

  /**
   * Follows the page's requests through Chromium's own Network events, by
   * request id: a request Chromium reports twice (a font, a merged preload)
   * is one entry, and every way a request ends (finished, failed, served
   * from cache, headers received) ends it. Also sees what interception
   * does not: WebSockets the page opens and windows it opens (popups), so
   * their refusals are named. Call before the first navigation (it may be
   * called before the page has a job: the policy comes later).
   */
  async attach(page: Page): Promise<void> {
    const cdp = await page.createCDPSession();
    this.cdp = cdp;
    cdp.on('Network.webSocketCreated', (e) => {
      // No policy yet (a page made ahead, before its job): nothing may pass.
      if (!this.policy || decideWebSocket(e.url, this.policy).action === 'block') this.ledger.intent(e.url, 'websocket');
    });
    cdp.on('Page.windowOpen', (e) => this.ledger.refused(e.url, 'popup'));
    cdp.on('Page.frameNavigated', (e) => {
      if (e.frame.parentId === undefined) this.onDocumentCommitted(e.frame.loaderId);
    });
    this.followNetwork(cdp);
    const [, , info] = await Promise.all([cdp.send('Network.enable'), cdp.send('Page.enable'), cdp.send('Target.getTargetInfo')]);
    this.targetId = info.targetInfo.targetId;
  }

  /**
   * Follows the network of one of the page's workers too (dedicated,
   * shared or service worker, of an allowed origin). A worker's main script
   * is requested in the page's session and finishes in the worker's (one
   * request id across both); the worker's own requests are seen only in its
   * session. Each counts for readiness while it is in flight, like the page's.
   * Returns what to call when the worker ends.
   */
  followWorker(session: CDPSession): () => void {
    const started = new Set<string>();
    session.on('Network.requestWillBeSent', (e) => started.add(e.requestId));
    this.followNetwork(session);
    // Called when the worker ends (closed, or gone with its document): nobody waits for its requests any more.
    return () => {
      for (const id of started) this.settle(id);
    };
  }

  private followNetwork(cdp: CDPSession): void {
    cdp.on('Network.requestWillBeSent', (e) => {
      // Seen before the old document goes: a call into it that then fails is not a crash (readiness-wait.ts).
      if (e.type === 'Document' && e.frameId === this.targetId && !e.redirectResponse) this.navigations += 1;
      // A beacon is fire-and-forget: the page never waits for it. A refused URL will never answer: nothing to wait for.
      if (!/^https?:/.test(e.request.url) || e.type === 'Ping' || this.wasRefused(e.request.url)) return;
      if (this.requestedUrls.size < MAX_REMEMBERED_URLS) this.requestedUrls.add(e.request.url);
      this.inFlight.set(e.requestId, { loaderId: e.loaderId, method: e.request.method, url: e.request.url, startedAt: Date.now() });
      this.networkActivity();
    });
    cdp.on('Network.responseReceived', (e) => {
      // Headers in = no longer waiting on the network: a body the page never
      // reads (or a stream such as SSE) would otherwise keep it "busy" forever.
      const tracked = this.inFlight.get(e.requestId);
      this.settle(e.requestId);
      // The egress proxy's own refusals are listed as refused, not as failed.
      const refusedByProxy = Object.keys(e.response.headers).some((name) => name.toLowerCase() === REFUSED_HEADER);
      if (e.response.status >= 400 && !refusedByProxy) this.listFailure({ method: tracked?.method ?? 'GET', url: e.response.url, status: e.response.status });
    });
    cdp.on('Network.requestServedFromCache', (e) => this.settle(e.requestId));
    cdp.on('Network.loadingFinished', (e) => this.settle(e.requestId));
    cdp.on('Network.loadingFailed', (e) => {
      const tracked = this.inFlight.get(e.requestId);
      this.settle(e.requestId);
      // Refused by the network policy: listed as blocked, not as failed.
      if (tracked && !e.blockedReason && !e.canceled && e.errorText !== 'net::ERR_BLOCKED_BY_CLIENT' && !this.wasRefused(tracked.url)) {
        this.listFailure({ method: tracked.method, url: tracked.url, status: null, error: e.errorText });
      }
    });
  }

  /**
   * A new document in the top frame: what the old one had in flight is no
   * longer waited for (a browser cancels it, or, a keepalive fetch, lets it
   * finish unreported), only the new document's own loads count.
   */
  private onDocumentCommitted(loaderId: string): void {
    this.committed += 1;
    for (const [id, tracked] of this.inFlight) if (tracked.loaderId !== loaderId) this.settle(id);
    for (const wake of [...this.commitWaiters]) wake();
  }

  /**
   * A refused request never answers (the router aborted it, or the proxy
   * refused it, perhaps in a worker or a download whose end this session
   * never sees): it stops counting as in flight, and so does every later
   * request for the same URL (or, a refused tunnel, host and port).
   */
  private forgetRefused(target: RefusedTarget): void {
    if ('url' in target) {
      if (this.refusedUrls.size < MAX_REMEMBERED_URLS) this.refusedUrls.add(normalUrl(target.url));
    } else if (this.refusedHostPorts.size < MAX_REMEMBERED_URLS) {
      this.refusedHostPorts.add(target.hostPort.toLowerCase());
    }
    for (const [id, tracked] of this.inFlight) if (this.wasRefused(tracked.url)) this.settle(id);
  }

  private wasRefused(url: string): boolean {
    if (this.refusedUrls.size === 0 && this.refusedHostPorts.size === 0) return false;
    const host = hostPortOf(url);
    return this.refusedUrls.has(normalUrl(url)) || (host !== null && this.refusedHostPorts.has(host));
  }

  /** The observer's own CDP session on the page (attach() made it): capture uses it too. */
  get session(): CDPSession {
    if (!this.cdp) throw new Error('PageObserver.session: attach() was never called');
    return this.cdp;
  }

  /** Whether the page's context holds cookies Chromium would send with a request to `url` (then it is not shared). */
  async hasCookiesFor(url: string): Promise<boolean> {
    if (!this.cdp) return true;
    const { cookies } = await this.cdp.send('Network.getCookies', { urls: [url] });
    return cookies.length > 0;
  }

  /** Whether the page asked for this URL (as far as remembered: a page past the bound counts as having asked). */
  wasRequested(url: string): boolean {
    return this.requestedUrls.has(url) || this.requestedUrls.size >= MAX_REMEMBERED_URLS;
  }

  get crashed(): boolean {
    return this.crash !== null;
  }

  network(): NetworkState {
    const now = Date.now();
    const inFlight: InFlightRequest[] = [...this.inFlight.values()].map((t) => ({ method: t.method, url: t.url, ageMs: now - t.startedAt }));
    return { inFlight, quietForMs: now - this.lastNetworkActivityAt };
  }

  /** Resolves once the top frame has committed the last document it began (or after `ms`: a navigation may be dropped, e.g. a 204). */
  documentCommitted(ms: number): Promise<void> {
    if (this.committed >= this.navigations) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.committed < this.navigations && !signal.aborted) return;
        signal.removeEventListener('abort', done);
        this.commitWaiters.delete(done);
        resolve();
      };
      const signal = AbortSignal.timeout(ms);
      signal.addEventListener('abort', done);
      this.commitWaiters.add(done);
    });
  }

  /** Resolves at the next network change, or after `ms`. */
  networkChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.networkWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.networkWaiters.add(done);
    });
  }

  /**
   * Runs a call into the page with a deadline. It rejects with
   * PageCrashedError the moment the renderer dies, and with
   * PageUnresponsiveError when `ms` pass first.
   */
  async call<T>(what: string, ms: number, work: () => Promise<T>): Promise<T> {
    if (this.crash) throw this.crash;
    let timer: NodeJS.Timeout | undefined;
    let onCrash: ((err: PageCrashedError) => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PageUnresponsiveError(what, ms)), Math.max(1, ms));
      onCrash = reject;
      this.crashWaiters.add(onCrash);
    });
    const running = work();
    running.catch(() => undefined); // ended by the deadline or the crash: its own failure no longer matters
    try {
      return await Promise.race([running, stop]);
    } finally {
      clearTimeout(timer);
      if (onCrash) this.crashWaiters.delete(onCrash);
    }
  }

  /** A CourierError for a crashed page (BROWSER_CRASHED: the job is retried). */
  crashError(phase: string): CourierError {
    return new CourierError('BROWSER_CRASHED', `${phase}: the story page crashed (its renderer process died: out of memory, or killed); the job will be retried`);
  }

  private onCrash(): void {
    if (this.crash) return;
    this.crash = new PageCrashedError();
    for (const reject of this.crashWaiters) reject(this.crash);
    this.crashWaiters.clear();
  }

  private settle(requestId: string): void {
    if (this.inFlight.delete(requestId)) this.networkActivity();
  }

  private networkActivity(): void {
    this.lastNetworkActivityAt = Date.now();
    for (const wake of [...this.networkWaiters]) wake();
  }

  private listFailure(entry: PageDiagnostics['failedRequests'][number]): void {
    if (this.seen.failedRequests.length < MAX_LISTED) this.seen.failedRequests.push(entry);
  }

  private noteConsoleError(text: string): void {
    this.seen.consoleErrorCount += 1;
    if (this.seen.consoleErrors.length < MAX_LISTED) this.seen.consoleErrors.push(text.slice(0, 300));
    const local = localFileRefused(text);
    if (local) this.ledger.refused(local, 'local-file');
  }
}

/**
 * Local files never reach interception: Chromium refuses them to an http(s)
 * page and only logs it, in words that depend on the build and the call
 * (the headless shell says the second for fetch()). The URL refused, or null.
 */
export function localFileRefused(consoleText: string): string | null {
  const found = /(?:Not allowed to load local resource: |Fetch API cannot load )(file:\S+)/.exec(consoleText)?.[1];
  return found ? found.replace(/\.$/, '') : null;
}

/** A URL as Chromium and the proxy would both spell it (or as given, if it does not parse). */
function normalUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

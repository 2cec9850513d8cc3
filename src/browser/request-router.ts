// Applies the network policy to each request the story page makes (its
// frames and dedicated workers included): refused requests are aborted and
// recorded with how they were made; allowed ones leave with the bearer token
// when (and only when) they go to the backend, and the frontend's public
// static files are answered from the shared asset cache. This is the first
// wall and the one that sees inside TLS; the egress proxy behind it is the
// wall for everything this one never sees.
import type { CDPSession, HTTPRequest, Page, Protocol } from 'puppeteer-core';
import type { Logger } from '../log.js';
import { decide, outgoingHeaders, type NetworkPolicy } from './network-policy.js';
import type { PageObserver } from './page-observer.js';
import { browserHeadersOnly, type AssetCache } from './traffic/asset-cache.js';
import type { How } from './traffic/refusals.js';

export interface RouterOptions {
  policy: NetworkPolicy;
  token: string | undefined;
  observer: PageObserver;
  log: Logger;
  /** The worker's shared cache of public static files; null: every request goes to the network. */
  cache: AssetCache | null;
  /** Told when the story tries to take its top frame outside the allowed origins (the page is kept where it is). */
  onLeave?: (url: string, how: How) => void;
}

/** What a page loads that may come from the shared cache (never a document, a stream, a beacon or media ranges). */
const CACHEABLE_TYPES = new Set(['script', 'stylesheet', 'font', 'image', 'fetch', 'xhr', 'manifest', 'other']);

/**
 * Routes every request of the page by the options of its job. Installed
 * before the page has a job (a page made ahead): until then `current()`
 * gives null, and every request is refused.
 */
export function routeRequests(page: Page, current: () => RouterOptions | null): void {
  page.on('request', (req) => {
    const options = current();
    if (options) route(page, req, options);
    else if (!req.isInterceptResolutionHandled()) void req.abort('blockedbyclient').catch(() => undefined);
  });
}

function route(page: Page, req: HTTPRequest, options: RouterOptions): void {
  const { policy, token, observer, log } = options;
  if (req.isInterceptResolutionHandled()) return;
  const url = req.url();
  const decision = decide(url, policy);
  if (decision.action === 'block') {
    const how = howRequested(page, req);
    observer.ledger.refused(url, how);
    log.debug({ url, how, reason: decision.reason }, 'request blocked by the network policy');
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      // Aborted, a navigation would commit Chromium's error page in place of
      // the story; answered "204 No Content", it is dropped and the story
      // stays where it is, as a browser does for a 204 (HTML spec,
      // "navigate": no document for a 204). The job then ends (render.ts).
      void req.respond({ status: 204, body: '' }).catch(() => undefined);
      options.onLeave?.(url, how);
      return;
    }
    if (req.frame() === null) void onItsSession(page, req, 'Fetch.failRequest', { errorReason: 'BlockedByClient' }).catch(() => undefined);
    else void req.abort('blockedbyclient').catch(() => undefined);
    return;
  }
  const onwards = () => {
    const headers = token !== undefined ? outgoingHeaders(req.headers(), decision, token) : undefined;
    if (req.frame() === null) {
      const params = headers ? { headers: Object.entries(headers).map(([name, value]) => ({ name, value })) } : {};
      void onItsSession(page, req, 'Fetch.continueRequest', params).catch(() => undefined);
      return;
    }
    void (headers ? req.continue({ headers }) : req.continue()).catch(() => undefined);
  };
  if (options.cache && !decision.withToken && mayShare(req, policy)) {
    fromCache(page, req, options.cache, observer).then(
      (answered) => (answered ? undefined : onwards()),
      (err: unknown) => {
        log.debug({ url, err: err instanceof Error ? err.message : String(err) }, 'the asset cache could not answer; Chromium fetches it');
        onwards();
      },
    );
    return;
  }
  onwards();
}

/**
 * A request whose answer any job would get alike: a GET for a static file
 * on the frontend or an ALLOWED_ORIGINS origin, never the backend, with no
 * header but those the browser sets itself (asset-cache.ts). Pure.
 */
export function mayShare(req: Pick<HTTPRequest, 'method' | 'url' | 'resourceType' | 'headers' | 'isNavigationRequest' | 'redirectChain'>, policy: NetworkPolicy): boolean {
  if (req.method() !== 'GET' || req.isNavigationRequest() || req.redirectChain().length > 0 || !CACHEABLE_TYPES.has(req.resourceType())) return false;
  const origin = new URL(req.url()).origin;
  if (origin === policy.backendOrigin || !policy.allowedOrigins.has(origin)) return false;
  // A header the page chose (X-Forwarded-Host, Authorization, Range…) could change the answer: not shared.
  return browserHeadersOnly(req.headers());
}

/** Answers from the shared cache; false when the cache cannot (the request then goes on to the network). */
async function fromCache(page: Page, req: HTTPRequest, cache: AssetCache, observer: PageObserver): Promise<boolean> {
  const url = req.url();
  // A cookie the story set for this origin would go with the request: then the answer is that user's, not shared.
  if (await observer.hasCookiesFor(url)) return false;
  const headers = Object.fromEntries(Object.entries(req.headers()).map(([name, value]) => [name.toLowerCase(), value]));
  const served = await cache.serve({ url, headers });
  if (!served) return false;
  await fulfill(page, req, served.status, served.headers, served.body);
  return true;
}

/**
 * Answers an intercepted request with a body. Not `req.respond()`: puppeteer
 * base64-encodes the body in JavaScript (String.fromCodePoint over 64 KB
 * chunks, then btoa), which blocked the worker's event loop 90–160 ms for
 * the 1.7 MB app bundle, in the middle of other jobs' captures at
 * CONCURRENCY 4; Node's own encoder takes under a millisecond. puppeteer
 * does not expose the Fetch domain's id of the paused request, so its
 * field is read, and without it the answer goes through respond().
 */
async function fulfill(page: Page, req: HTTPRequest, status: number, headers: Record<string, string>, body: Buffer): Promise<void> {
  if (typeof interceptionIdOf(req) !== 'string') return req.respond({ status, headers, body });
  // As respond() would send them: names lower-case, the body's length unless given.
  const named = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const responseHeaders = Object.entries({ 'content-length': String(body.byteLength), ...named }).map(([name, value]) => ({ name, value }));
  await onItsSession(page, req, 'Fetch.fulfillRequest', { responseCode: status, responseHeaders, body: body.toString('base64') });
}

function interceptionIdOf(req: HTTPRequest): string | undefined {
  const id = (req as unknown as { _interceptionId?: unknown })._interceptionId;
  return typeof id === 'string' ? id : undefined;
}

interface PausedCommands {
  'Fetch.fulfillRequest': Protocol.Fetch.FulfillRequestRequest;
  'Fetch.continueRequest': Protocol.Fetch.ContinueRequestRequest;
  'Fetch.failRequest': Protocol.Fetch.FailRequestRequest;
}

/**
 * Resolves a paused request on the session that paused it. puppeteer pairs
 * a dedicated worker's request with the session its Network event came
 * from, which in the full browser is at times not the one whose Fetch
 * paused it: the command then fails ("'Fetch.fulfillRequest' wasn't
 * found"), puppeteer's own continue() swallows that, and the worker's
 * request hangs for ever. So a worker's request is resolved here, and on
 * the page's own session when its worker's session cannot.
 */
async function onItsSession<M extends keyof PausedCommands>(page: Page, req: HTTPRequest, method: M, params: Omit<PausedCommands[M], 'requestId'>): Promise<void> {
  const requestId = interceptionIdOf(req);
  if (requestId === undefined) throw new Error(`${req.url()}: no interception id to resolve it by`);
  const command = { ...params, requestId } as PausedCommands[M];
  try {
    await req.client.send(method, command);
  } catch (err) {
    // puppeteer's session of the page (not public: it is the one that enabled Fetch).
    const pageSession = (page as unknown as { _client?: () => CDPSession })._client?.();
    if (!pageSession || pageSession === req.client) throw err;
    await pageSession.send(method, command);
  }
}

/** How the page made a request, as reported with its refusal. */
export function howRequested(page: Page, req: HTTPRequest): How {
  if (req.redirectChain().length > 0) return 'redirect';
  const type = req.resourceType();
  if (type === 'eventsource') return 'eventsource';
  if (type === 'ping') return 'beacon';
  const frame = req.frame();
  if (req.isNavigationRequest()) return frame === page.mainFrame() ? 'navigation' : 'iframe';
  // A dedicated worker's requests belong to no frame.
  if (frame === null) return 'worker';
  return 'request';
}

// Applies the network policy to each request the story page makes (its
// frames and dedicated workers included): refused requests are aborted and
// recorded with how they were made; allowed ones leave with the bearer token
// when (and only when) they go to the backend. This is the first wall and
// the one that sees inside TLS; the egress proxy behind it is the wall for
// everything this one never sees.
import type { HTTPRequest, Page } from 'puppeteer-core';
import type { Logger } from '../log.js';
import { decide, outgoingHeaders, type NetworkPolicy } from './network-policy.js';
import type { PageObserver } from './page-observer.js';
import type { How } from './traffic/refusals.js';

export interface RouterOptions {
  policy: NetworkPolicy;
  token: string | undefined;
  observer: PageObserver;
  log: Logger;
}

export function routeRequests(page: Page, options: RouterOptions): void {
  page.on('request', (req) => route(page, req, options));
}

function route(page: Page, req: HTTPRequest, { policy, token, observer, log }: RouterOptions): void {
  if (req.isInterceptResolutionHandled()) return;
  const url = req.url();
  const decision = decide(url, policy);
  if (decision.action === 'block') {
    const how = howRequested(page, req);
    observer.ledger.refused(url, how);
    log.debug({ url, how, reason: decision.reason }, 'request blocked by the network policy');
    void req.abort('blockedbyclient').catch(() => undefined);
    return;
  }
  const continued = token !== undefined ? req.continue({ headers: outgoingHeaders(req.headers(), decision, token) }) : req.continue();
  void continued.catch(() => undefined);
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

// Applies the network policy to each request the story page makes: refused
// requests are aborted and listed; allowed ones leave with the bearer token
// when (and only when) they go to the backend.
import type { HTTPRequest, Page } from 'puppeteer-core';
import type { Logger } from '../log.js';
import { decide, outgoingHeaders, type NetworkPolicy } from './network-policy.js';
import type { PageObserver } from './page-observer.js';

export interface RouterOptions {
  policy: NetworkPolicy;
  token: string | undefined;
  observer: PageObserver;
  log: Logger;
}

export function routeRequests(page: Page, options: RouterOptions): void {
  page.on('request', (req) => route(req, options));
}

function route(req: HTTPRequest, { policy, token, observer, log }: RouterOptions): void {
  if (req.isInterceptResolutionHandled()) return;
  const url = req.url();
  const decision = decide(url, policy);
  if (decision.action === 'block') {
    observer.noteBlocked(url);
    log.debug({ url, reason: decision.reason }, 'request blocked by the network policy');
    void req.abort('blockedbyclient').catch(() => undefined);
    return;
  }
  const continued = token !== undefined ? req.continue({ headers: outgoingHeaders(req.headers(), decision, token) }) : req.continue();
  void continued.catch(() => undefined);
}

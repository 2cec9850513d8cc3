// Targets a story starts besides its page: popups, shared workers and
// service workers. Request interception on the page does not see them; the
// egress proxy confines their traffic; this watch tells the job what they
// were. One CDP session on the browser auto-attaches to each new target of
// those kinds (paused at start), hands it to the job that owns its browser
// context, and lets it run:
// - a popup is closed at once and reported (the story renders on);
// - a worker's requests are watched: those the policy refuses become the
//   job's intents, so the proxy's refusal is reported as made by it, and
//   the others count for the job's readiness while in flight.
import type { Browser, CDPSession, Protocol } from 'puppeteer-core';
import { decide, decideWebSocket, type NetworkPolicy } from '../network-policy.js';
import type { How, RefusalLedger } from './refusals.js';

export interface TargetWatchJob {
  policy: NetworkPolicy;
  ledger: RefusalLedger;
  /** The job's own page: every other page target in its context is a popup. */
  pageTargetId: string;
  /** Told of each shared or service worker's session, before it runs (its requests count for readiness). */
  followWorker?: (session: CDPSession) => () => void;
}

const WATCHED: Protocol.Target.TargetFilter = [{ type: 'page' }, { type: 'shared_worker' }, { type: 'service_worker' }];

const HOW_BY_TYPE: Record<string, How> = { shared_worker: 'shared-worker', service_worker: 'service-worker', page: 'popup' };

export class TargetWatch {
  private readonly jobs = new Map<string, TargetWatchJob>();
  /** What to call when a followed worker's session ends, by session id. */
  private readonly ended = new Map<string, () => void>();

  private constructor(private readonly session: CDPSession) {
    session.on('Target.attachedToTarget', (event) => void this.onAttached(event));
    session.on('Target.detachedFromTarget', (event) => {
      this.ended.get(event.sessionId)?.();
      this.ended.delete(event.sessionId);
    });
  }

  static async start(browser: Browser): Promise<TargetWatch> {
    const session = await browser.target().createCDPSession();
    const watch = new TargetWatch(session);
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true, filter: WATCHED });
    return watch;
  }

  /** Routes the targets of one browser context to a job until `unwatch`. */
  watch(browserContextId: string, job: TargetWatchJob): void {
    this.jobs.set(browserContextId, job);
  }

  unwatch(browserContextId: string): void {
    this.jobs.delete(browserContextId);
  }

  private async onAttached(event: Protocol.Target.AttachedToTargetEvent): Promise<void> {
    const { targetInfo, sessionId } = event;
    const child = this.session.connection()?.session(sessionId);
    if (!child) return;
    const job = targetInfo.browserContextId ? this.jobs.get(targetInfo.browserContextId) : undefined;
    const how = HOW_BY_TYPE[targetInfo.type];
    const resume = () => child.send('Runtime.runIfWaitingForDebugger').catch(() => undefined);
    const detach = () => this.session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    if (!job || !how || targetInfo.targetId === job.pageTargetId) {
      await resume();
      await detach();
      return;
    }
    if (how === 'popup') {
      // Closed before it can take the focus or a slot; its URL is also what the proxy refuses.
      if (targetInfo.url && targetInfo.url !== 'about:blank') job.ledger.refused(targetInfo.url, 'popup');
      child.on('Network.requestWillBeSent', (e) => job.ledger.refused(e.request.url, 'popup'));
      void child.send('Network.enable').catch(() => undefined);
      await resume();
      await this.session.send('Target.closeTarget', { targetId: targetInfo.targetId }).catch(() => undefined);
      return;
    }
    // Sent before the worker is let go, so its first request is seen.
    const end = job.followWorker?.(child);
    if (end) this.ended.set(sessionId, end);
    child.on('Network.requestWillBeSent', (e) => {
      if (decide(e.request.url, job.policy).action === 'block') job.ledger.intent(e.request.url, how);
    });
    child.on('Network.webSocketCreated', (e) => {
      if (decideWebSocket(e.url, job.policy).action === 'block') job.ledger.intent(e.url, how);
    });
    await Promise.all([child.send('Network.enable').catch(() => undefined), resume()]);
  }
}

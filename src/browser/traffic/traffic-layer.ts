// The one layer between story pages and the network, for the whole worker:
// the egress proxy (what may leave, and the record of what was refused) and
// the upstream connections it shares. It outlives browser generations, so a
// relaunched Chromium finds the same catch-all proxy and warm connections.
import type { Logger } from '../../log.js';
import { openEgressListener, type EgressListener } from './egress-proxy.js';
import type { ProxyRefusal } from './refusals.js';
import { Upstream, type Resolve } from './upstream.js';

export interface TrafficLayerOptions {
  log: Logger;
  /** Name resolution for the stack's hosts (default: the system's). */
  resolve?: Resolve;
}

export class TrafficLayer {
  readonly upstream: Upstream;
  private catchAll: EgressListener | null = null;
  private readonly listeners = new Set<EgressListener>();
  private closed = false;

  constructor(private readonly options: TrafficLayerOptions) {
    this.upstream = new Upstream(options.resolve);
  }

  /** The browser-wide proxy that refuses everything (Chromium's own background requests land here). */
  async catchAllProxy(): Promise<string> {
    this.catchAll ??= await openEgressListener(this.upstream, (refusal) => this.logUnbound(refusal, 'chromium itself'));
    return this.catchAll.proxyServer;
  }

  /** A proxy listener for one browser context; refuses everything until a job binds it. */
  async openListener(): Promise<EgressListener> {
    if (this.closed) throw new Error('the traffic layer is closed');
    const listener = await openEgressListener(this.upstream, (refusal) => this.logUnbound(refusal, 'a context with no job'));
    this.listeners.add(listener);
    return listener;
  }

  async closeListener(listener: EgressListener): Promise<void> {
    this.listeners.delete(listener);
    await listener.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => this.closeListener(l)));
    await this.catchAll?.close();
    this.catchAll = null;
    this.upstream.close();
  }

  private logUnbound(refusal: ProxyRefusal, by: string): void {
    this.options.log.debug({ refused: refusal.kind === 'http' ? refusal.url : refusal.hostPort, by }, 'egress proxy refused a request');
  }
}

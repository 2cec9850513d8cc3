// The one layer between story pages and the network, for the whole worker:
// the egress proxy (what may leave, and the record of what was refused),
// the shared cache of the frontend's public files, and the upstream
// connections both use. It outlives browser generations, so a relaunched
// Chromium finds the same catch-all proxy, warm connections and cache.
import type { Logger } from '../../log.js';
import { AssetCache, type CacheOutcome } from './asset-cache.js';
import { upstreamFetcher } from './asset-fetch.js';
import { openEgressListener, type EgressListener } from './egress-proxy.js';
import type { ProxyRefusal } from './refusals.js';
import { Upstream, type Resolve } from './upstream.js';

export interface TrafficLayerOptions {
  log: Logger;
  /** Name resolution for the stack's hosts (default: the system's). */
  resolve?: Resolve;
  /** Bytes of public static files shared across jobs (ASSET_CACHE_MB); 0 or absent: no shared cache. */
  assetCacheBytes?: number;
  /** Told of every answer of the shared cache (metrics). */
  onCacheServed?: (outcome: CacheOutcome, bytes: number) => void;
}

export class TrafficLayer {
  readonly upstream: Upstream;
  /** The shared cache of the frontend's public files; null when turned off. */
  readonly cache: AssetCache | null;
  private catchAll: EgressListener | null = null;
  private readonly listeners = new Set<EgressListener>();
  private closed = false;

  constructor(private readonly options: TrafficLayerOptions) {
    this.upstream = new Upstream(options.resolve);
    const bytes = options.assetCacheBytes ?? 0;
    this.cache = bytes > 0 ? new AssetCache({ maxBytes: bytes, fetch: (url, headers) => fetcher(url, headers), onServed: options.onCacheServed }) : null;
    const fetcher = upstreamFetcher(this.upstream, this.cache?.maxEntryBytes ?? 0);
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

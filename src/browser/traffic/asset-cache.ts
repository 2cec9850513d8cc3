// The frontend's public static files, shared by every job of a worker.
//
// Each job's browser context starts with an empty HTTP cache (that is what
// keeps one user's data from another's), so without this every job would
// download the whole app again. What is shared is only what any user gets
// alike: GET responses from FRONTEND_URL's origin or ALLOWED_ORIGINS, to
// requests that carried no token and no cookie, whose own headers make them
// storable by a shared cache (RFC 9111, by http-cache-semantics: not
// private, not no-store) with an explicit lifetime (max-age,
// s-maxage or immutable; or no-cache, always revalidated) and, unless
// immutable, a validator (ETag or Last-Modified) to revalidate them with;
// never one that sets a cookie, never anything from BACKEND_URL (the router
// never asks for those). Bounded in bytes (LRU); concurrent misses for one
// file are one fetch; stale entries are revalidated, not trusted.
import CachePolicy from 'http-cache-semantics';
import { LRUCache } from 'lru-cache';
import type { AssetFetcher, FetchedAsset } from './asset-fetch.js';

export interface AssetRequest {
  url: string;
  /** The page's request headers (names lower-case). */
  headers: Record<string, string>;
}

export interface ServedAsset {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** hit: fresh from the cache; revalidated: the server said 304; miss: fetched (and stored if shareable); private: fetched, not shareable. */
  outcome: 'hit' | 'revalidated' | 'miss' | 'private';
}

export type CacheOutcome = ServedAsset['outcome'];

interface Entry {
  policy: CachePolicy;
  status: number;
  body: Buffer;
  bytes: number;
}

export interface AssetCacheOptions {
  maxBytes: number;
  fetch: AssetFetcher;
  /** Told of every answer (metrics). */
  onServed?: (outcome: CacheOutcome, bytes: number) => void;
}

/**
 * The request headers sent to the stack for a shared file, and (their
 * values, with the URL) the key of its entry: what the browser sets and a
 * server may answer by. A page may set some of them on a fetch(), so they
 * are keyed: a value it chose can only ever be served back to a request
 * with that same value.
 */
export const FORWARDED_HEADERS = ['accept', 'accept-language', 'origin', 'user-agent'] as const;

/**
 * Headers Chromium sets on a request by itself, beside the forwarded ones,
 * and a page cannot choose (or only within its own origin): never sent
 * by the cache. A request with any other header (one the page chose:
 * `X-Forwarded-Host`, `Authorization`, `Range`, `Cache-Control`…) is not
 * shared; Chromium makes it as it would.
 */
export const BROWSER_HEADERS = ['referer', 'accept-encoding', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user', 'sec-fetch-storage-access', 'upgrade-insecure-requests', 'priority'] as const;

const SENT = new Set<string>(FORWARDED_HEADERS);
const KNOWN = new Set<string>([...FORWARDED_HEADERS, ...BROWSER_HEADERS]);

/** Whether every header of a page's request is one the browser sets itself (names lower-case or not). Pure. */
export function browserHeadersOnly(headers: Record<string, string>): boolean {
  return Object.keys(headers).every((name) => KNOWN.has(name.toLowerCase()));
}

/** One file may take at most this share of the cache, so one huge file cannot flush all the others. */
const MAX_ENTRY_SHARE = 4;

export class AssetCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly inFlight = new Map<string, Promise<ServedAsset | null>>();

  constructor(private readonly options: AssetCacheOptions) {
    this.entries = new LRUCache<string, Entry>({ maxSize: Math.max(1, options.maxBytes), sizeCalculation: (e) => Math.max(1, e.bytes), maxEntrySize: this.maxEntryBytes });
  }

  /** The largest file worth keeping (also what the fetcher accepts). */
  get maxEntryBytes(): number {
    return Math.max(1, Math.floor(this.options.maxBytes / MAX_ENTRY_SHARE));
  }

  get size(): { bytes: number; entries: number } {
    return { bytes: this.entries.calculatedSize, entries: this.entries.size };
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The answer to an eligible request (see the file's head): from the cache,
   * after a revalidation, or fetched. Null when the cache cannot answer (the
   * file is too big, the server is unreachable from here): Chromium fetches it.
   */
  async serve(page: AssetRequest): Promise<ServedAsset | null> {
    const request = forwarded(page);
    const key = keyOf(request);
    const fresh = this.fresh(key, request);
    if (fresh) return this.served(fresh, 'hit');
    // A burst of jobs asking for one file: one fetch, then everyone from the cache.
    const pending = this.inFlight.get(key);
    if (pending) {
      await pending.catch(() => null);
      const now = this.fresh(key, request);
      if (now) return this.served(now, 'hit');
    }
    const fetching = this.fetchAndStore(key, request);
    this.inFlight.set(key, fetching);
    try {
      const result = await fetching;
      if (result) this.options.onServed?.(result.outcome, result.body.length);
      return result;
    } finally {
      if (this.inFlight.get(key) === fetching) this.inFlight.delete(key);
    }
  }

  private fresh(key: string, request: AssetRequest): Entry | null {
    const entry = this.entries.get(key);
    return entry && entry.policy.satisfiesWithoutRevalidation(policyRequest(request)) ? entry : null;
  }

  private served(entry: Entry, outcome: 'hit' | 'revalidated'): ServedAsset {
    if (outcome === 'hit') this.options.onServed?.('hit', entry.body.length);
    return { status: entry.status, headers: flatHeaders(entry.policy.responseHeaders()), body: entry.body, outcome };
  }

  private async fetchAndStore(key: string, request: AssetRequest): Promise<ServedAsset | null> {
    const stale = this.entries.get(key, { allowStale: true });
    const req = policyRequest(request);
    const headers = stale && stale.policy.satisfiesWithoutRevalidation(req) === false ? { ...request.headers, ...flatHeaders(stale.policy.revalidationHeaders(req)) } : request.headers;
    const answer = await this.options.fetch(request.url, headers);
    if (!answer) return null;
    if (stale && answer.status === 304) {
      const { policy, modified } = stale.policy.revalidatedPolicy(req, policyResponse(answer));
      if (!modified) {
        const entry = { ...stale, policy };
        this.entries.set(key, entry);
        return { ...this.served(entry, 'revalidated'), outcome: 'revalidated' };
      }
    }
    const policy = new CachePolicy(req, policyResponse(answer), { shared: true });
    const body = answer.body;
    if (stale) this.entries.delete(key);
    // It depends on a header the cache did not send: what the browser would get may differ; Chromium fetches it.
    if (variesOnUnsent(answer)) return null;
    if (shareable(policy, answer) && body.length <= this.maxEntryBytes) {
      this.entries.set(key, { policy, status: answer.status, body, bytes: body.length + 512 });
      return { status: answer.status, headers: flatHeaders(policy.responseHeaders()), body, outcome: 'miss' };
    }
    // A cookie set on the way: let Chromium fetch it itself, so its cookie jar sees it as it would have.
    if (answer.headers['set-cookie'] !== undefined) return null;
    return { status: answer.status, headers: flatHeaders(answer.headers), body, outcome: 'private' };
  }
}

/**
 * Beyond what a shared HTTP cache may store: a 200 with an explicit
 * lifetime (or no-cache, revalidated each time), a validator unless it is
 * immutable, no cookie set, and no Vary beyond the forwarded headers. Pure.
 */
export function shareable(policy: CachePolicy, answer: Pick<FetchedAsset, 'status' | 'headers'>): boolean {
  if (answer.status !== 200 || !policy.storable()) return false;
  if (answer.headers['set-cookie'] !== undefined) return false;
  const cacheControl = String(answer.headers['cache-control'] ?? '').toLowerCase();
  const directives = new Set(cacheControl.split(',').map((d) => d.trim().split('=')[0]));
  if (directives.has('private') || directives.has('no-store')) return false;
  if (variesOnUnsent(answer)) return false;
  const immutable = directives.has('immutable');
  const lifetime = immutable || directives.has('max-age') || directives.has('s-maxage') || directives.has('no-cache');
  const validator = answer.headers.etag !== undefined || answer.headers['last-modified'] !== undefined;
  return lifetime && (immutable || validator);
}

/** Whether an answer's Vary names `*` or any header the cache does not send (so its key does not hold). Pure. */
export function variesOnUnsent(answer: Pick<FetchedAsset, 'headers'>): boolean {
  const vary = answer.headers.vary;
  const names = (Array.isArray(vary) ? vary.join(',') : (vary ?? '')).split(',').map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
  return names.some((name) => !SENT.has(name));
}

/** The page's request as the cache sends it: the forwarded headers only. Pure. */
function forwarded(request: AssetRequest): AssetRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (SENT.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  return { url: request.url, headers };
}

/** The entry's key: the URL and the value of each forwarded header (absent is a value too). Pure. */
function keyOf(request: AssetRequest): string {
  return JSON.stringify([request.url, ...FORWARDED_HEADERS.map((name) => request.headers[name] ?? null)]);
}

function policyRequest(request: AssetRequest): CachePolicy.Request {
  const { pathname, search, host } = new URL(request.url);
  return { url: `${pathname}${search}`, method: 'GET', headers: { ...request.headers, host } };
}

function policyResponse(answer: FetchedAsset): CachePolicy.Response {
  return { status: answer.status, headers: answer.headers };
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : String(value);
  }
  return out;
}

// The shared cache of the frontend's public files, with real Chromium and
// the gallery frontend (a 1.7 MB immutable bundle in 4 files) counting what
// it serves: a burst of jobs fetches each bundle file once and its data
// every time; what is private, no-store, or asked for with credentials is
// never reused; a changed file behind a non-immutable URL is revalidated.
import { randomUUID } from 'node:crypto';
import { HTTPRequest } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import type { CacheOutcome } from '../../src/browser/traffic/asset-cache.js';
import { TrafficLayer } from '../../src/browser/traffic/traffic-layer.js';
import type { Renderer } from '../../src/browser/types.js';
import { loadConfig } from '../../src/config.js';
import { GalleryStack, type Beacon } from '../fixtures/gallery/stack.js';
import { testLogger } from '../fixtures/index.js';

let stack: GalleryStack;
let traffic: TrafficLayer;
let pool: BrowserPool;
let renderer: Renderer;
const outcomes: CacheOutcome[] = [];

beforeAll(async () => {
  stack = await GalleryStack.start();
  traffic = new TrafficLayer({ log: testLogger(), assetCacheBytes: 64 * 1024 * 1024, onCacheServed: (outcome) => outcomes.push(outcome) });
  const config = loadConfig({ FRONTEND_URL: stack.frontendUrl, BACKEND_URL: stack.backendUrl, CONCURRENCY: '4' });
  pool = new BrowserPool({ config, log: testLogger(), traffic, prepareAhead: true });
  renderer = createRenderer({ config, pool, log: testLogger() });
  await pool.warmUp();
});

afterAll(async () => {
  await pool?.close();
  await traffic?.close();
  await stack?.close();
});

const render = (path: string) =>
  renderer.render({
    url: new URL(path, stack.frontendUrl),
    selector: '.tc-story',
    timeoutMs: 30_000,
    viewport: { width: 1100, height: 640, deviceScaleFactor: 1 },
    formats: ['png'],
    token: stack.token,
  });

describe('the shared asset cache', () => {
  it('fetches each bundle file once for 8 jobs, and their data 8 times, each with its own token', async () => {
    const dataBefore = stack.backendRequests.filter((r) => r.path.startsWith('/data/')).length;
    const hitsBefore = outcomes.filter((o) => o === 'hit').length;
    // Watched, not replaced: cache answers go out as Fetch.fulfillRequest with Node's base64 (request-router.ts), never through respond().
    const respond = vi.spyOn(HTTPRequest.prototype, 'respond');
    const results = await Promise.all(Array.from({ length: 8 }, () => render(stack.storyPath('chartjs', { still: true }))));
    const respondCalls = respond.mock.calls.length;
    respond.mockRestore();
    for (const result of results) expect(result.captures[0]?.data.length).toBeGreaterThan(0);
    // Every page ran the app from the cached bundle to its final frame: the eight
    // captures of the still story are the same picture. (Not counted by the page's
    // sendBeacon: a keepalive beacon still on its way when the job closes its page
    // is dropped with the page, which says nothing about what was captured.)
    const first = results[0]?.captures[0]?.data;
    for (const result of results) expect(Buffer.compare(result.captures[0]!.data, first!)).toBe(0);
    expect(outcomes.filter((o) => o === 'hit').length - hitsBefore).toBeGreaterThan(8);
    expect(respondCalls).toBe(0);
    for (const path of stack.bundlePaths()) expect(stack.served(path), path).toBe(1);
    const data = stack.backendRequests.filter((r) => r.path.startsWith('/data/')).slice(dataBefore);
    expect(data).toHaveLength(8);
    expect(data.every((r) => r.authorization === `Bearer ${stack.token}`)).toBe(true);
    // The frontend never saw a credential, and nothing from the backend was cached.
    expect(stack.frontendRequests.filter((r) => r.authorization !== undefined && !r.path.includes('own-auth'))).toEqual([]);
    expect(traffic.cache!.size.entries).toBeGreaterThanOrEqual(4);
  });

  it('never reuses a private or no-store file, nor one asked for with a token or a cookie', async () => {
    const count = (name: string) => stack.frontendRequests.filter((r) => r.path === `/probe/${name}.js`).length;
    const before = Object.fromEntries(['public', 'private', 'nostore', 'cookie'].map((n) => [n, count(n)]));
    const ownAuthBefore = stack.frontendRequests.filter((r) => r.path === '/probe/public.js?own-auth').length;
    for (let i = 0; i < 3; i++) await probe();
    expect(count('public') - before.public!).toBeLessThanOrEqual(1); // once at most (it may be cached already)
    expect(count('private') - before.private!).toBe(3);
    expect(count('nostore') - before.nostore!).toBe(3);
    // With the page's own Authorization header: every time, and the header reached the frontend.
    const ownAuth = stack.frontendRequests.filter((r) => r.path === '/probe/public.js?own-auth').slice(ownAuthBefore);
    expect(ownAuth).toHaveLength(3);
    expect(ownAuth.every((r) => r.authorization === 'Bearer the-page-own-token')).toBe(true);
    // After the story set a cookie: every time, with the cookie, as Chromium sends it.
    const cookie = stack.frontendRequests.filter((r) => r.path === '/probe/cookie.js').slice(-3);
    expect(count('cookie') - before.cookie!).toBe(3);
    expect(cookie.every((r) => r.cookie === 'session=s3cr3t')).toBe(true);
  });

  it('revalidates a changed file behind a non-immutable URL, and serves the new one', async () => {
    const mutable = () => stack.frontendRequests.filter((r) => r.path === '/probe/mutable.js');
    expect((await probe()).mutable).toBe('v1');
    const seen = mutable().length;
    stack.setProbe('mutable', 'v2');
    const changed = await probe();
    expect(changed.mutable).toBe('v2');
    const unchanged = await probe();
    expect(unchanged.mutable).toBe('v2');
    // Each job asked the frontend (no-cache: always revalidated), and the last answer was a 304 served from the cache.
    expect(mutable().length - seen).toBe(2);
    expect(outcomes).toContain('revalidated');
  });
});

/** Renders the probe page and returns what each probe script said. */
async function probe(): Promise<Record<string, string>> {
  const run = randomUUID();
  await render(stack.probePath(run));
  const beacon = (await stack.beaconOf(run)) as Beacon & { probe: Record<string, string> };
  return beacon.probe;
}

// The shared asset cache cannot be poisoned by a request header, in real
// Chromium through the real render path. The frontend reflects every
// request header it receives in a `public` answer (immutable; or max-age
// with an ETag; or with a Vary), as a careless frontend would. One job's
// page asks for a file with headers of its choosing, a later job's page
// asks for it plainly: the later job never sees what the first chose.
// - A header the page chose (X-Forwarded-Host, …): the request is not
//   shared, and the cache never sends such a header.
// - A forwarded header with a value the page chose (Accept,
//   Accept-Language): keyed, so only a request with that same value gets it.
// - Vary on a header the cache does not send: not shared.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { FORWARDED_HEADERS, type CacheOutcome } from '../../src/browser/traffic/asset-cache.js';
import { TrafficLayer } from '../../src/browser/traffic/traffic-layer.js';
import type { Renderer } from '../../src/browser/types.js';
import { loadConfig } from '../../src/config.js';
import { ContainedStack } from '../fixtures/contained/stack.js';
import { testLogger } from '../fixtures/index.js';

let stack: ContainedStack;
let traffic: TrafficLayer;
let pool: BrowserPool;
let renderer: Renderer;
const outcomes: CacheOutcome[] = [];

/** Headers a page may set on a fetch() that are not the browser's: each must never reach another job. */
const PAGE_CHOSEN = { 'X-Forwarded-Host': 'attacker.example', 'X-Original-URL': '/admin-poison', 'X-Custom': 'page-chosen-poison' };
/** Forwarded headers (keyed) with values the page chose. */
const FORWARDED_CHOSEN = { Accept: 'text/x-poison', 'Accept-Language': 'xx-POISON' };
/** What the cache itself may send the frontend, beside the forwarded headers. */
const CACHE_OWN = new Set(['host', 'connection', 'accept-encoding', 'if-none-match', 'if-modified-since']);

beforeAll(async () => {
  stack = await ContainedStack.start('ip');
  traffic = new TrafficLayer({ log: testLogger(), assetCacheBytes: 16 * 1024 * 1024, onCacheServed: (outcome) => outcomes.push(outcome) });
  const config = loadConfig({ FRONTEND_URL: stack.frontendUrl, CONCURRENCY: '1' });
  pool = new BrowserPool({ config, log: testLogger(), traffic, prepareAhead: true });
  renderer = createRenderer({ config, pool, log: testLogger() });
  await pool.warmUp();
});

afterAll(async () => {
  await pool?.close();
  await traffic?.close();
  await stack?.close();
});

/** One job whose page fetches `/reflect/<file>.js[?query]` with `headers`; what the frontend reflected to it. */
async function fetchInJob(file: string, query: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const run = randomUUID();
  const params = new URLSearchParams({ run, file, q: query, h: JSON.stringify(headers) });
  await renderer.render({ url: new URL(`/cache?${params.toString()}`, stack.frontendUrl), selector: '.tc-story', timeoutMs: 20_000, viewport: { width: 800, height: 400, deviceScaleFactor: 1 }, formats: ['png'] });
  const answer = stack.answers.get(run);
  if (!answer) throw new Error(`the page of run ${run} never said what it was answered`);
  return answer;
}

const poisoned = (answer: Record<string, string>) => Object.entries(answer).filter(([, value]) => /poison|attacker/i.test(value));

/** Requests for a file that the cache made (Chromium's own carry Sec-Fetch-Mode). */
const fromCache = (file: string) => stack.seen.filter((s) => s.path.startsWith(`/reflect/${file}.js`) && s.headers['sec-fetch-mode'] === undefined);

describe.each([
  { kind: 'public, immutable', query: '' },
  { kind: 'public, max-age with an ETag', query: 'mutable' },
  { kind: 'Vary: Accept', query: 'vary=Accept' },
  { kind: 'Vary: X-Forwarded-Host', query: 'vary=X-Forwarded-Host' },
])('a frontend that reflects request headers in a $kind answer', ({ query }) => {
  it.each(Object.entries(PAGE_CHOSEN))('%s chosen by one page never reaches a later job, nor the frontend through the cache', async (name, value) => {
    const file = `chosen-${name}-${query || 'immutable'}`.replace(/[^a-z0-9-]/gi, '');
    const first = await fetchInJob(file, query, { [name]: value });
    // The page's own request went out as Chromium makes it (the header is the page's, for its own answer).
    expect(first[name.toLowerCase()]).toBe(value);
    const later = await fetchInJob(file, query, {});
    expect(poisoned(later)).toEqual([]);
    const again = await fetchInJob(file, query, {});
    expect(poisoned(again)).toEqual([]);
    for (const request of fromCache(file)) expect(Object.keys(request.headers).filter((h) => !CACHE_OWN.has(h) && !(FORWARDED_HEADERS as readonly string[]).includes(h))).toEqual([]);
  });

  it.each(Object.entries(FORWARDED_CHOSEN))('%s, forwarded with a value one page chose, is keyed: a later job with its own value never gets that answer', async (name, value) => {
    const file = `forwarded-${name}-${query || 'immutable'}`.replace(/[^a-z0-9-]/gi, '');
    const first = await fetchInJob(file, query, { [name]: value });
    expect(first[name.toLowerCase()]).toBe(value);
    const later = await fetchInJob(file, query, {});
    expect(poisoned(later)).toEqual([]);
    expect(later[name.toLowerCase()]).not.toBe(value);
  });
});

describe('sharing still works', () => {
  it('a plain request for an immutable file is fetched once for several jobs, with only the forwarded headers', async () => {
    const hitsBefore = outcomes.filter((o) => o === 'hit').length;
    const answers = [await fetchInJob('plain', '', {}), await fetchInJob('plain', '', {}), await fetchInJob('plain', '', {})];
    expect(stack.count('/reflect/plain.js')).toBe(1);
    expect(outcomes.filter((o) => o === 'hit').length - hitsBefore).toBeGreaterThanOrEqual(2);
    expect(answers[1]).toEqual(answers[0]);
    expect(Object.keys(answers[0]!).filter((h) => !CACHE_OWN.has(h) && !(FORWARDED_HEADERS as readonly string[]).includes(h))).toEqual([]);
  });
});

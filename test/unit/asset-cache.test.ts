// The asset cache's rules, with a fetcher that answers from a table (the
// integration test drives the real one through Chromium).
import type { HTTPRequest } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { AssetCache } from '../../src/browser/traffic/asset-cache.js';
import type { FetchedAsset } from '../../src/browser/traffic/asset-fetch.js';
import { policyFor } from '../../src/browser/network-policy.js';
import { mayShare } from '../../src/browser/request-router.js';

type ResourceType = ReturnType<HTTPRequest['resourceType']>;

const IMMUTABLE = { 'cache-control': 'public, max-age=31536000, immutable', etag: '"a"' };

function cacheWith(answers: Record<string, Partial<FetchedAsset> & { headers: FetchedAsset['headers'] }>, maxBytes = 1 << 20) {
  const fetched: string[] = [];
  const cache = new AssetCache({
    maxBytes,
    fetch: async (url) => {
      fetched.push(url);
      await new Promise((r) => setTimeout(r, 5));
      const answer = answers[new URL(url).pathname];
      return answer ? { status: 200, body: Buffer.from(`body of ${url}`), ...answer } : { status: 404, headers: {}, body: Buffer.alloc(0) };
    },
  });
  return { cache, fetched, get: (path: string) => cache.serve({ url: `https://front.example${path}`, headers: { accept: '*/*' } }) };
}

describe('the asset cache', () => {
  it('fetches a file once for a burst of concurrent requests, then answers from memory', async () => {
    const { fetched, get } = cacheWith({ '/app.js': { headers: IMMUTABLE } });
    const answers = await Promise.all(Array.from({ length: 6 }, () => get('/app.js')));
    expect(fetched).toHaveLength(1);
    expect(answers.map((a) => a?.outcome).sort()).toEqual(['hit', 'hit', 'hit', 'hit', 'hit', 'miss']);
    expect((await get('/app.js'))?.outcome).toBe('hit');
  });

  it.each([
    ['private', { 'cache-control': 'private, max-age=600', etag: '"p"' }],
    ['no-store', { 'cache-control': 'no-store' }],
    ['no lifetime', { etag: '"e"' }],
    ['max-age without a validator', { 'cache-control': 'public, max-age=600' }],
  ])('never stores a file that is %s', async (_what, headers) => {
    const { fetched, get } = cacheWith({ '/x.js': { headers } });
    expect((await get('/x.js'))?.outcome).toBe('private');
    expect((await get('/x.js'))?.outcome).toBe('private');
    expect(fetched).toHaveLength(2);
  });

  it.each([
    ['Cookie', 'Cookie'],
    ['a header the page could choose', 'X-Forwarded-Host'],
    ['everything', '*'],
    ['a forwarded header and another', 'Accept, Referer'],
  ])('leaves a response that varies on %s to Chromium (the cache did not send it)', async (_what, vary) => {
    const { cache, get } = cacheWith({ '/v.js': { headers: { ...IMMUTABLE, vary } } });
    expect(await get('/v.js')).toBeNull();
    expect(cache.size.entries).toBe(0);
  });

  it('sends only the forwarded headers, and keys an entry by their values', async () => {
    const sent: Record<string, string>[] = [];
    const cache = new AssetCache({
      maxBytes: 1 << 20,
      fetch: (_url, headers) => {
        sent.push(headers);
        return Promise.resolve({ status: 200, headers: { ...IMMUTABLE, vary: 'Accept' }, body: Buffer.from(headers.accept ?? '') });
      },
    });
    const ask = (headers: Record<string, string>) => cache.serve({ url: 'https://front.example/k.js', headers });
    const chosen = await ask({ accept: 'text/x-poison', referer: 'https://front.example/story', 'sec-fetch-mode': 'cors' });
    const plain = await ask({ accept: '*/*' });
    expect(chosen?.body.toString()).toBe('text/x-poison');
    expect(plain?.body.toString()).toBe('*/*');
    expect((await ask({ accept: '*/*' }))?.outcome).toBe('hit');
    expect(sent.map((h) => Object.keys(h))).toEqual([['accept'], ['accept']]);
  });

  it('leaves a response that sets a cookie to Chromium', async () => {
    const { get } = cacheWith({ '/c.js': { headers: { ...IMMUTABLE, 'set-cookie': ['a=b'] } } });
    expect(await get('/c.js')).toBeNull();
  });

  it('stays within its bytes, dropping the least recently used files', async () => {
    const big = { headers: IMMUTABLE, body: Buffer.alloc(200_000) };
    const { cache, get } = cacheWith({ '/1.js': big, '/2.js': big, '/3.js': big, '/4.js': big, '/5.js': big, '/6.js': big }, 1_000_000);
    for (const n of [1, 2, 3, 4, 5, 6]) await get(`/${n}.js`);
    expect(cache.size.bytes).toBeLessThanOrEqual(1_000_000);
    expect(cache.size.entries).toBeLessThan(6);
    expect((await get('/6.js'))?.outcome).toBe('hit');
  });
});

describe('what may come from the shared cache', () => {
  const policy = policyFor({ backendUrl: new URL('https://api.example'), allowedOrigins: ['https://cdn.example'] }, new URL('https://front.example/'));
  const req = (url: string, more: { method?: string; type?: string; headers?: Record<string, string>; navigation?: boolean } = {}) => ({
    method: () => more.method ?? 'GET',
    url: () => url,
    resourceType: () => (more.type ?? 'script') as ResourceType,
    headers: () => more.headers ?? {},
    isNavigationRequest: () => more.navigation ?? false,
    redirectChain: () => [],
  });
  it.each([
    ['a script of the frontend', req('https://front.example/a.js'), true],
    ['a font from an allowed CDN', req('https://cdn.example/f.woff2', { type: 'font' }), true],
    ['anything from the backend', req('https://api.example/data'), false],
    ['a POST', req('https://front.example/a', { method: 'POST', type: 'fetch' }), false],
    ['the story document', req('https://front.example/story', { type: 'document', navigation: true }), false],
    ['an event stream', req('https://front.example/sse', { type: 'eventsource' }), false],
    ["a request with the page's own Authorization", req('https://front.example/a.js', { headers: { Authorization: 'Bearer x' } }), false],
    ['a request with a Cookie header', req('https://front.example/a.js', { headers: { cookie: 'a=b' } }), false],
    ['a request with only the headers Chromium sets', req('https://front.example/a.js', { headers: { Accept: '*/*', Referer: 'https://front.example/s', 'sec-fetch-mode': 'no-cors', 'User-Agent': 'x' } }), true],
    ['a request with a header the page chose', req('https://front.example/a.js', { headers: { Accept: '*/*', 'X-Forwarded-Host': 'attacker' } }), false],
    ['a request with a Range', req('https://front.example/a.js', { headers: { range: 'bytes=0-1' } }), false],
  ])('%s: %s', (_what, request, expected) => {
    expect(mayShare(request, policy)).toBe(expected);
  });
});

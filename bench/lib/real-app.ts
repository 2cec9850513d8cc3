// The real-app case (issue 14): the gallery's ECharts story with its 1.7 MB
// app bundle, the frontend answering every request after a simulated round
// trip (40 ms), measured side by side by the page's own clock (its beacon:
// navigation start → final frame):
//   fresh context, no cache   courier with ASSET_CACHE_MB=0: every job downloads the app again;
//   courier                   courier as shipped: the bundle from the shared cache;
//   warm tab                  the same page loaded again and again in one tab of one context:
//                             Chromium's own HTTP cache and V8 caches warm, what a person sees;
// each at CONCURRENCY 1 and 4 (4 warm tabs, each in a context of its own). Also counted:
// bundle fetches per file at the frontend, and the cache's bytes (/metrics).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { chromiumArgs, headlessModeOf } from '../../src/browser/chromium.js';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/demo/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from '../../src/demo/worker-process.js';
import { GalleryStack } from '../../test/fixtures/gallery/stack.js';
import { CourierClient } from './courier.js';
import { BENCH_SELECTOR, BENCH_STORY, storyJob } from './environment.js';
import { againstPage } from './page-time.js';
import { median, percentile, round2, runInLanes } from './stats.js';

export const REAL_APP_RTT_MS = 40;
/** The page's time under courier may be at most this × the warm tab's. */
export const REAL_APP_GOAL = 1.1;

export type RealAppConfiguration = 'fresh context, no cache' | 'courier' | 'warm tab';

export interface RealAppRow {
  configuration: RealAppConfiguration;
  concurrency: number;
  jobs: number;
  /** The page's own time to its final frame (beacon), median and p95. */
  pageMedianMs: number;
  pageP95Ms: number;
  /** Frontend fetches of the bundle during the measured jobs, per file (8 jobs without a cache: 8). */
  bundleFetchesPerFile: number;
}

export interface RealAppFigures {
  rttMs: number;
  bundleBytes: number;
  bundleFiles: number;
  rows: RealAppRow[];
  /** courier ÷ warm tab (page median), at C=1 and C=4: goal ≤ REAL_APP_GOAL. */
  courierToWarm: { c1: number; c4: number };
  /** fresh context without the cache ÷ warm tab. */
  freshToWarm: { c1: number; c4: number };
  /** Bundle fetches per file over the whole life of the courier worker, warm-up included (goal: at most 1 per browser generation). */
  courierBundleFetchesPerFile: number;
  courierJobs: number;
  cacheBytes: number | null;
  cacheEntries: number | null;
  failures: string[];
}

export interface RealAppOptions {
  redisUrl: string;
  dir: string;
  chromiumPath: string;
  /** Measured jobs per configuration and concurrency. */
  jobs: number;
  say: (line: string) => void;
}

export async function runRealApp(options: RealAppOptions): Promise<RealAppFigures> {
  const gallery = await GalleryStack.start({ rttMs: REAL_APP_RTT_MS });
  const workers: WorkerProcess[] = [];
  const clients: CourierClient[] = [];
  let browser: Browser | null = null;
  const failures: string[] = [];
  const bundleServed = () => gallery.bundlePaths().reduce((sum, p) => sum + gallery.served(p), 0);
  try {
    const courierPort = await freePort();
    const workerEnv = (prefix: string, extra: Record<string, string>) => ({
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: prefix,
      FRONTEND_URL: gallery.frontendUrl,
      BACKEND_URL: gallery.backendUrl,
      SELECTOR: BENCH_SELECTOR,
      ARTIFACTS_DIR: join(options.dir, 'artifacts', prefix),
      CONCURRENCY: '4',
      LOG_LEVEL: 'info',
      ...extra,
    });
    const start = async (prefix: string, extra: Record<string, string>) => {
      const env = workerEnv(prefix, extra);
      workers.push(await startWorkerProcess(env, { keepLines: false }));
      const client = new CourierClient(loadConfig(env));
      clients.push(client);
      return client;
    };
    const courier = await start('bench-real-app', { HTTP_PORT: String(courierPort) });
    const uncached = await start('bench-real-app-nocache', { ASSET_CACHE_MB: '0' });
    browser = await puppeteer.launch({ executablePath: options.chromiumPath, headless: headlessModeOf(options.chromiumPath), args: chromiumArgs(), pipe: true });
    // A tab per context (each in its own window): a background tab of a shared window gets no animation frames.
    const launched = browser;
    const tabs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const tab = await (await launched.createBrowserContext()).newPage();
        // The data call needs the token; only the backend's requests are paused to add it, so the
        // frontend's files stay in Chromium's own cache (puppeteer's interception would turn it off).
        const cdp = await tab.createCDPSession();
        cdp.on('Fetch.requestPaused', (e) => {
          const headers = Object.entries({ ...e.request.headers, authorization: `Bearer ${gallery.token}` }).map(([name, value]) => ({ name, value }));
          void cdp.send('Fetch.continueRequest', { requestId: e.requestId, headers }).catch(() => undefined);
        });
        await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${gallery.backendUrl}/*` }] });
        return tab;
      }),
    );
    const loadInTab = async (tab: number) => {
      const run = randomUUID();
      await tabs[tab]!.goto(gallery.frontendUrl + gallery.storyPath(BENCH_STORY, { run }), { waitUntil: 'domcontentloaded' });
      return (await gallery.beaconOf(run)).finalFrameMs;
    };
    // Warm-up: the worker's cache and Chromium, each tab's first load.
    let courierFetches = bundleServed();
    let courierJobs = 4;
    await courier.run(() => storyJob(gallery), 4, 4);
    courierFetches = bundleServed() - courierFetches;
    await uncached.run(() => storyJob(gallery), 2, 2);
    await Promise.all(tabs.map((_, i) => loadInTab(i)));
    options.say(`real app (${REAL_APP_RTT_MS} ms round trip): warmed up; ${bundleServed()} bundle fetches so far`);

    const rows: RealAppRow[] = [];
    const measure = async (configuration: RealAppConfiguration, concurrency: number): Promise<void> => {
      const before = bundleServed();
      let times: number[];
      if (configuration === 'warm tab') {
        const free = Array.from({ length: concurrency }, (_, i) => i);
        const run = await runInLanes(options.jobs, concurrency, async () => {
          const tab = free.pop()!;
          try {
            return await loadInTab(tab);
          } finally {
            free.push(tab);
          }
        });
        failures.push(...run.failures);
        times = run.jobs;
      } else {
        const client = configuration === 'courier' ? courier : uncached;
        const run = await client.run(() => storyJob(gallery), options.jobs, concurrency);
        failures.push(...run.failures);
        times = againstPage(await client.records(run.jobs.map((j) => j.id)), gallery.beacons).map((t) => t.finalFrameMs);
      }
      const files = gallery.bundlePaths().length;
      rows.push({
        configuration,
        concurrency,
        jobs: times.length,
        pageMedianMs: Math.round(median(times)),
        pageP95Ms: Math.round(percentile(times, 95)),
        bundleFetchesPerFile: round2((bundleServed() - before) / files),
      });
      if (configuration === 'courier') {
        courierFetches += bundleServed() - before;
        courierJobs += times.length;
      }
    };
    const order: RealAppConfiguration[] = ['fresh context, no cache', 'courier', 'warm tab'];
    for (const concurrency of [1, 4]) {
      // Interleaved in short rounds, in a turning order: the shared machine's noise falls on all three.
      for (let round = 0; round < 2; round++) for (let i = 0; i < order.length; i++) await measure(order[(i + round) % order.length]!, concurrency);
    }
    const merged = mergeRounds(rows);
    const pageOf = (c: RealAppConfiguration, concurrency: number) => merged.find((r) => r.configuration === c && r.concurrency === concurrency)?.pageMedianMs ?? NaN;
    const cache = await cacheGauges(courierPort);
    return {
      rttMs: REAL_APP_RTT_MS,
      bundleBytes: gallery.bundleBytes(),
      bundleFiles: gallery.bundlePaths().length,
      rows: merged,
      courierToWarm: { c1: round2(pageOf('courier', 1) / pageOf('warm tab', 1)), c4: round2(pageOf('courier', 4) / pageOf('warm tab', 4)) },
      freshToWarm: { c1: round2(pageOf('fresh context, no cache', 1) / pageOf('warm tab', 1)), c4: round2(pageOf('fresh context, no cache', 4) / pageOf('warm tab', 4)) },
      courierBundleFetchesPerFile: round2(courierFetches / gallery.bundlePaths().length),
      courierJobs,
      cacheBytes: cache?.bytes ?? null,
      cacheEntries: cache?.entries ?? null,
      failures,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop().catch(() => null)));
    await gallery.close();
  }
}

/** The rows of both rounds of one configuration and concurrency, as one (the median weighted by jobs, the larger p95, the fetches added). */
function mergeRounds(rows: RealAppRow[]): RealAppRow[] {
  const out: RealAppRow[] = [];
  for (const row of rows) {
    const same = out.find((r) => r.configuration === row.configuration && r.concurrency === row.concurrency);
    if (!same) {
      out.push({ ...row });
      continue;
    }
    const jobs = same.jobs + row.jobs;
    same.pageMedianMs = Math.round((same.pageMedianMs * same.jobs + row.pageMedianMs * row.jobs) / jobs);
    same.pageP95Ms = Math.max(same.pageP95Ms, row.pageP95Ms);
    same.bundleFetchesPerFile = round2(same.bundleFetchesPerFile + row.bundleFetchesPerFile);
    same.jobs = jobs;
  }
  return out;
}

/** A series' value in Prometheus' text format, whatever its labels (every series carries `worker="…"`); NaN when absent. Pure. */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** courier_asset_cache_bytes and _entries from the worker's /metrics. */
export async function cacheGauges(port: number): Promise<{ bytes: number; entries: number } | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return { bytes: metricValue(text, 'courier_asset_cache_bytes'), entries: metricValue(text, 'courier_asset_cache_entries') };
  } catch {
    return null;
  }
}

/** The real-app section of latest.md. Pure. */
export function realAppMarkdown(f: RealAppFigures, sustained: { jobs: number; cacheBytes: number | null; boundBytes: number } | null): string {
  const mb = (bytes: number | null) => (bytes === null || Number.isNaN(bytes) ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
  const verdict = (r: number) => (r <= REAL_APP_GOAL ? 'met' : '**missed**');
  return [
    '',
    `## Real app: the ${(f.bundleBytes / 1e6).toFixed(1)} MB bundle (${f.bundleFiles} files) behind a ${f.rttMs} ms round trip`,
    '',
    "The page's own time to its final frame (its beacon, from navigation start):",
    '',
    '| configuration | C | jobs | page median | page p95 | bundle fetches per file |',
    '|---|--:|--:|--:|--:|--:|',
    ...f.rows.map((r) => `| ${r.configuration} | ${r.concurrency} | ${r.jobs} | ${r.pageMedianMs} ms | ${r.pageP95Ms} ms | ${r.bundleFetchesPerFile} |`),
    '',
    '| figure | value | goal | |',
    '|---|--:|--:|---|',
    `| courier ÷ warm tab, C=1 | ${f.courierToWarm.c1.toFixed(2)} | ≤ ${REAL_APP_GOAL.toFixed(2)} | ${verdict(f.courierToWarm.c1)} |`,
    `| courier ÷ warm tab, C=4 | ${f.courierToWarm.c4.toFixed(2)} | ≤ ${REAL_APP_GOAL.toFixed(2)} | ${verdict(f.courierToWarm.c4)} |`,
    `| fresh context without the cache ÷ warm tab, C=1 / C=4 | ${f.freshToWarm.c1.toFixed(2)} / ${f.freshToWarm.c4.toFixed(2)} | | |`,
    `| bundle fetches per file over the courier worker's ${f.courierJobs} jobs | ${f.courierBundleFetchesPerFile} | ≤ 1 per browser generation | ${f.courierBundleFetchesPerFile <= 1 ? 'met' : '**missed**'} |`,
    `| shared cache held (${f.cacheEntries ?? 'n/a'} files) | ${mb(f.cacheBytes)} | | |`,
    ...(sustained ? [`| shared cache after the sustained run (${sustained.jobs} jobs) | ${mb(sustained.cacheBytes)} | ≤ ${mb(sustained.boundBytes)} (ASSET_CACHE_MB) | ${sustained.cacheBytes !== null && sustained.cacheBytes <= sustained.boundBytes ? 'met' : '**missed**'} |`] : []),
    '',
  ].join('\n');
}

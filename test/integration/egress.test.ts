// Deny by default, for real: a hostile story tries each way out of the page
// (WebSocket, WebRTC, popup, shared/dedicated/service worker, EventSource,
// sendBeacon, a redirect, another port of an allowed host, another host),
// on a stack addressed by IP literals and on one addressed by host names.
// For each: not one byte reaches the vector's listener, the story still
// renders, and the attempt is named in the job's diagnostics and log. Run
// on both Chromium builds courier starts: the headless shell (its default)
// and the full browser, since each reads its own switches.
//
// Chromium runs under `strace -f` (one browser session per build), so a way
// out counts even where this machine could not complete it: while each
// story renders, no Chromium process may connect anywhere but to its job's
// proxy on loopback, send a datagram, or look a name up. The same pages in a
// plain Chromium, without courier, must trip each of those detectors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { TrafficLayer } from '../../src/browser/traffic/traffic-layer.js';
import type { RenderResult } from '../../src/browser/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { EXPECTED_HOW, HostileStack, VECTORS, type Naming, type Vector } from '../fixtures/hostile/stack.js';
import { testLogger } from '../fixtures/index.js';
import { dnsQueries, leaks, straceUnavailable, TracedChromium, type NetEvent } from '../helpers/strace.js';

const logLines: Record<string, unknown>[] = [];
const log = createLogger('warn', new Writable({ write(chunk: Buffer, _enc, done) { for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>); done(); } }));
const stacks = {} as Record<Naming, HostileStack>;
let traffic: TrafficLayer;

/** The builds to check: setup.sh --dev installs both; a machine without one checks the other and says so. */
const BUILDS = [
  { build: 'headless shell', path: '/usr/lib/chromium/chromium-headless-shell' },
  { build: 'full browser', path: '/usr/bin/chromium' },
].filter((b) => existsSync(b.path) || void console.warn(`egress: ${b.path} is not installed; the ${b.build} is not checked`));

const noStrace = straceUnavailable();
if (noStrace) console.warn(`egress: ${noStrace}; Chromium's own connections, datagrams and name lookups are NOT checked`);
const traceDir = mkdtempSync(join(tmpdir(), 'courier-egress-trace-'));
/** The ports of every proxy listener the traffic layer opened: the only place Chromium may connect to. */
const proxyPorts = new Set<number>();

beforeAll(async () => {
  stacks.ip = await HostileStack.start('ip');
  stacks.names = await HostileStack.start('names');
  traffic = new TrafficLayer({ log: testLogger(), resolve: HostileStack.resolve() });
  // Observed, not changed: each listener's port is noted as it opens.
  const catchAll = traffic.catchAllProxy.bind(traffic);
  traffic.catchAllProxy = async () => notePort(await catchAll());
  const open = traffic.openListener.bind(traffic);
  traffic.openListener = async () => {
    const listener = await open();
    notePort(listener.proxyServer);
    return listener;
  };
});

function notePort(proxyServer: string): string {
  proxyPorts.add(Number(new URL(proxyServer).port));
  return proxyServer;
}

afterAll(async () => {
  await traffic?.close();
  await Promise.all(Object.values(stacks).map((s) => s.close()));
  rmSync(traceDir, { recursive: true, force: true });
});

const show = (events: readonly NetEvent[]) => events.map((e) => e.line.slice(0, 300)).join('\n');

function renderHostile(pool: BrowserPool, stack: HostileStack, vector: Vector): Promise<RenderResult> {
  const config = loadConfig({ FRONTEND_URL: stack.frontendUrl, BACKEND_URL: stack.backendUrl });
  const renderer = createRenderer({ config, pool, log });
  return renderer.render({
    url: new URL(stack.storyPath(vector), stack.frontendUrl),
    selector: '.tc-story',
    timeoutMs: 20_000,
    viewport: { width: 800, height: 400, deviceScaleFactor: 1 },
    formats: ['png'],
    token: stack.token,
    log: log.child({ vector }),
  });
}

describe.each(BUILDS)('on the $build', ({ build, path }) => {
  let pool: BrowserPool;
  const traced = noStrace ? null : new TracedChromium(path, join(traceDir, build.replace(' ', '-')));
  beforeAll(async () => {
    pool = new BrowserPool({ config: loadConfig({ CONCURRENCY: '2', CHROMIUM_PATH: traced?.path ?? path }), log: testLogger(), traffic, prepareAhead: true });
    await pool.warmUp();
  });
  afterAll(async () => {
    await pool?.close();
    // Over the whole session (start, pages made ahead, every story, shutdown): nothing but the proxies.
    const events = traced?.eventsSince() ?? [];
    expect(leaks(events, proxyPorts), show(leaks(events, proxyPorts))).toEqual([]);
    expect(dnsQueries(events), show(dnsQueries(events))).toEqual([]);
  });

  describe.each(['ip', 'names'] as const)('a hostile story on a stack addressed by %s', (naming) => {
    it.for(VECTORS.filter((v) => !(naming === 'names' && v === 'other-host')))('%s: refused, reported, and the story renders', async (vector, { expect }) => {
      const stack = stacks[naming];
      const mark = traced?.mark();
      const result = await renderHostile(pool, stack, vector);
      // Not one packet of Chromium's own went anywhere but to the job's proxy: no connection, no datagram, no DNS.
      const events = traced?.eventsSince(mark) ?? [];
      expect(leaks(events, proxyPorts), show(leaks(events, proxyPorts))).toEqual([]);
      expect(dnsQueries(events), show(dnsQueries(events))).toEqual([]);
      expect(result.captures[0]?.data.length).toBeGreaterThan(0);
      expect(stack.bytes(vector)).toBe(0);
      const refused = result.diagnostics.refused;
      const named = refused.filter((r) => r.how === EXPECTED_HOW[vector]);
      expect(named.length, JSON.stringify(refused)).toBeGreaterThan(0);
      expect(named.some((r) => r.url.toLowerCase().includes(stack.target(vector).toLowerCase())), JSON.stringify(refused)).toBe(true);
      // The job's log names it too.
      const line = logLines.findLast((l) => l.vector === vector && Array.isArray(l.refused));
      expect(line?.refused).toEqual(refused);
      // The data call still carried the token, and only the backend got it.
      expect(stack.backendCalls.at(-1)?.authorization).toBe(`Bearer ${stack.token}`);
    });
  });
});

// Before the plain Chromium below, which is meant to reach the listeners.
it('lets no byte out over the whole run, on either stack and either build', () => {
  expect(BUILDS.length).toBeGreaterThan(0);
  for (const stack of Object.values(stacks)) for (const vector of VECTORS) expect(stack.bytes(vector), `${stack.naming} ${vector}`).toBe(0);
});

/**
 * What each vector's traffic looks like to strace when nothing stops it: a
 * check that cannot fail proves nothing, so a plain Chromium must trip it.
 */
function tripped(events: readonly NetEvent[], stack: HostileStack, vector: Vector): NetEvent[] {
  if (vector === 'mdns' || vector === 'prefetch') {
    const label = stack.target(vector).split('.')[0]!;
    return dnsQueries(events).filter((e) => e.line.toLowerCase().includes(label));
  }
  const ports = stack.ports(vector);
  return leaks(events, new Set()).filter((e) => ports.includes(e.port));
}

describe.runIf(!noStrace).each(BUILDS)('a plain $build, without courier, on the same pages', ({ build, path }) => {
  it.each(['ip', 'names'] as const)('trips every detector (stack addressed by %s)', async (naming) => {
    const stack = stacks[naming];
    const traced = new TracedChromium(path, join(traceDir, `plain-${naming}-${build.replace(' ', '-')}`));
    const browser = await puppeteer.launch({ executablePath: traced.path, headless: path.includes('headless-shell') ? 'shell' : true, args: ['--no-sandbox', '--no-first-run', '--disable-gpu'], pipe: true });
    try {
      // Every vector at once, each in its own tab: a vector is told apart by its own listener's ports or name.
      await Promise.all(VECTORS.filter((v) => !(naming === 'names' && v === 'other-host')).map(async (vector) => {
        const page = await browser.newPage();
        // What courier would add for the backend (a plain Chromium sends it everywhere; it is only a test token).
        await page.setExtraHTTPHeaders({ authorization: `Bearer ${stack.token}` });
        await page.goto(new URL(stack.storyPath(vector), stack.frontendUrl).href);
        await page.waitForSelector('.tc-story[aria-busy="false"]', { timeout: 20_000 }).catch(() => undefined);
      }));
    } finally {
      await browser.close();
    }
    const events = traced.eventsSince();
    // Chromium 156 tries no QUIC to a .localhost name (nothing to see), so WebTransport is shown tripping on the IP stack.
    const silent = VECTORS.filter((v) => !(naming === 'names' && (v === 'other-host' || v === 'webtransport'))).filter((v) => tripped(events, stack, v).length === 0);
    expect(silent, `vectors whose traffic strace did not see in a plain Chromium:\n${show(events)}`).toEqual([]);
  });
});

// Deny by default, for real: a hostile story tries each way out of the page
// (WebSocket, WebRTC, popup, shared/dedicated/service worker, EventSource,
// sendBeacon, a redirect, another port of an allowed host, another host),
// on a stack addressed by IP literals and on one addressed by host names.
// For each: not one byte reaches the vector's listener, the story still
// renders, and the attempt is named in the job's diagnostics and log. Run
// on both Chromium builds courier starts: the headless shell (its default)
// and the full browser, since each reads its own switches.
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { TrafficLayer } from '../../src/browser/traffic/traffic-layer.js';
import type { RenderResult } from '../../src/browser/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { EXPECTED_HOW, HostileStack, VECTORS, type Naming, type Vector } from '../fixtures/hostile/stack.js';
import { testLogger } from '../fixtures/index.js';

const logLines: Record<string, unknown>[] = [];
const log = createLogger('warn', new Writable({ write(chunk: Buffer, _enc, done) { for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>); done(); } }));
const stacks = {} as Record<Naming, HostileStack>;
let traffic: TrafficLayer;

/** The builds to check: setup.sh --dev installs both; a machine without one checks the other and says so. */
const BUILDS = [
  { build: 'headless shell', path: '/usr/lib/chromium/chromium-headless-shell' },
  { build: 'full browser', path: '/usr/bin/chromium' },
].filter((b) => existsSync(b.path) || void console.warn(`egress: ${b.path} is not installed; the ${b.build} is not checked`));

beforeAll(async () => {
  stacks.ip = await HostileStack.start('ip');
  stacks.names = await HostileStack.start('names');
  traffic = new TrafficLayer({ log: testLogger(), resolve: HostileStack.resolve() });
});

afterAll(async () => {
  await traffic?.close();
  await Promise.all(Object.values(stacks).map((s) => s.close()));
});

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

describe.each(BUILDS)('on the $build', ({ path }) => {
  let pool: BrowserPool;
  beforeAll(async () => {
    pool = new BrowserPool({ config: loadConfig({ CONCURRENCY: '2', CHROMIUM_PATH: path }), log: testLogger(), traffic, prepareAhead: true });
    await pool.warmUp();
  });
  afterAll(() => pool?.close());

  describe.each(['ip', 'names'] as const)('a hostile story on a stack addressed by %s', (naming) => {
    it.each(VECTORS.filter((v) => !(naming === 'names' && v === 'other-host')))('%s: refused, reported, and the story renders', async (vector) => {
      const stack = stacks[naming];
      const started = Date.now();
      const result = await renderHostile(pool, stack, vector);
      expect(result.captures[0]?.data.length).toBeGreaterThan(0);
      // Rendered in its usual time: well under the 30 s a popup used to hold a capture.
      expect(Date.now() - started).toBeLessThan(15_000);
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

it('lets no byte out over the whole run, on either stack and either build', () => {
  expect(BUILDS.length).toBeGreaterThan(0);
  for (const stack of Object.values(stacks)) for (const vector of VECTORS) expect(stack.bytes(vector), `${stack.naming} ${vector}`).toBe(0);
});

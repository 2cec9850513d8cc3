// The story's top frame and its workers, in real Chromium (the headless
// shell courier starts by default, and the full browser), through the real
// render path and a worker's traffic layer:
// - a story that tries to leave for another origin (meta refresh,
//   `location = …`, a form submit, a cross-origin `<a download>` click) is
//   kept where it is and its job fails at once with FORBIDDEN_URL naming
//   the URL, not retried; nothing reaches the outside; the log names it.
//   The same pages in a plain Chromium without courier do reach the
//   outside, so the detector can fire;
// - the same ways within the frontend's origin end on a story that renders;
// - a SharedWorker, a dedicated Worker and a service worker of the
//   frontend's own origin load and run, and their requests count for
//   readiness while they are in flight.
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { TrafficLayer } from '../../src/browser/traffic/traffic-layer.js';
import type { RenderResult } from '../../src/browser/types.js';
import { loadConfig } from '../../src/config.js';
import { CourierError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { ContainedStack, LEAVING, WORKERS, type Naming } from '../fixtures/contained/stack.js';
import { testLogger } from '../fixtures/index.js';
import { rejection } from '../helpers/rejection.js';

const logLines: Record<string, unknown>[] = [];
const log = createLogger('warn', new Writable({ write(chunk: Buffer, _enc, done) { for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>); done(); } }));
const stacks = {} as Record<Naming, ContainedStack>;
let traffic: TrafficLayer;
/** How long after each attempt its job ended (measured, not asserted: docs/security.md quotes them). */
const leaveMs: string[] = [];

const BUILDS = [
  { build: 'headless shell', path: '/usr/lib/chromium/chromium-headless-shell' },
  { build: 'full browser', path: '/usr/bin/chromium' },
].filter((b) => existsSync(b.path) || void console.warn(`contained-page: ${b.path} is not installed; the ${b.build} is not checked`));

beforeAll(async () => {
  stacks.ip = await ContainedStack.start('ip');
  stacks.names = await ContainedStack.start('names');
  traffic = new TrafficLayer({ log: testLogger(), resolve: ContainedStack.resolve(), assetCacheBytes: 16 * 1024 * 1024 });
});

afterAll(async () => {
  if (leaveMs.length > 0) console.info(`contained-page: a job that tried to leave ended this long after the attempt: ${leaveMs.join(', ')}`);
  await traffic?.close();
  await Promise.all(Object.values(stacks).map((s) => s.close()));
});

function render(pool: BrowserPool, stack: ContainedStack, path: string, tag: string): Promise<RenderResult> {
  const config = loadConfig({ FRONTEND_URL: stack.frontendUrl });
  return createRenderer({ config, pool, log }).render({
    url: new URL(path, stack.frontendUrl),
    selector: '.tc-story',
    timeoutMs: 20_000,
    viewport: { width: 800, height: 400, deviceScaleFactor: 1 },
    formats: ['png'],
    log: log.child({ tag }),
  });
}

describe.each(BUILDS)('on the $build', ({ build, path }) => {
  let pool: BrowserPool;
  beforeAll(async () => {
    pool = new BrowserPool({ config: loadConfig({ CONCURRENCY: '2', CHROMIUM_PATH: path }), log: testLogger(), traffic, prepareAhead: true });
    await pool.warmUp();
  });
  afterAll(() => pool?.close());

  describe.each(['ip', 'names'] as const)('a story on a stack addressed by %s', (naming) => {
    it.each(LEAVING)('leaving by %s: kept where it is, FORBIDDEN_URL at once naming the URL, not retried', async (how) => {
      const stack = stacks[naming];
      const tag = `${build} ${naming} leave ${how}`;
      const err = await rejection(render(pool, stack, `/leave/${how}`, tag), CourierError);
      const ended = Date.now();
      const failure = err;
      expect(failure.code, failure.message).toBe('FORBIDDEN_URL');
      expect(failure.retried).toBe(false);
      expect(failure.message).toContain(stack.leaveTarget(how));
      expect(stack.outsideBytes).toBe(0);
      // The attempt was made (the page asked for /attempt just before it), and the log names it.
      const attemptAt = stack.attemptAt(how);
      expect(attemptAt).not.toBeNull();
      leaveMs.push(`${tag}: ${ended - attemptAt!} ms`);
      const line = logLines.findLast((l) => l.tag === tag && l.left !== undefined);
      expect(line?.left).toBe(stack.leaveTarget(how));
      expect(line?.refused).toContainEqual({ url: stack.leaveTarget(how), how: 'navigation' });
    });
  });

  it.each(['meta-refresh', 'location', 'form'] as const)('navigating by %s within the frontend: followed, and the story it reaches renders', async (how) => {
    const stack = stacks.ip;
    const arrivals = stack.count('/stay/arrived');
    const result = await render(pool, stack, `/stay/${how}`, `${build} stay ${how}`);
    expect(result.captures[0]?.data.length).toBeGreaterThan(0);
    expect(stack.count('/stay/arrived')).toBe(arrivals + 1);
    // (The full browser's autofill may ask its server after a form: Chromium's own, refused, and not the story's navigation.)
    expect(result.diagnostics.refused.filter((r) => r.how === 'navigation')).toEqual([]);
  });

  it.each(WORKERS)('a %s worker of the frontend loads, runs, and gives the story its data', async (kind) => {
    const stack = stacks.ip;
    const result = await render(pool, stack, `/workers/${kind}`, `${build} worker ${kind}`);
    expect(result.captures[0]?.data.length).toBeGreaterThan(0);
    expect(result.diagnostics.refused).toEqual([]);
    expect(stack.answered.some((a) => a.path === `/worker-data?from=${kind}`)).toBe(true);
  });

  it.each(['shared', 'dedicated'] as const)("a %s worker's request in flight holds readiness until it is answered", async (kind) => {
    const stack = stacks.ip;
    const before = stack.answered.length;
    await render(pool, stack, `/workers/${kind}?background`, `${build} background ${kind}`);
    const done = Date.now();
    // The story itself was ready at once; the worker's data was answered before the render ended.
    const answer = stack.answered.slice(before).find((a) => a.path === `/worker-data?from=${kind}`);
    expect(answer).toBeDefined();
    expect(answer!.at).toBeLessThanOrEqual(done);
  });
});

describe('the same pages in a plain Chromium, without courier', () => {
  let stack: ContainedStack;
  beforeAll(async () => (stack = await ContainedStack.start('ip')));
  afterAll(() => stack?.close());

  it.each(LEAVING)('leaving by %s reaches the outside (the detector fires)', async (how) => {
    const browser = await puppeteer.launch({ executablePath: BUILDS[0]!.path, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const before = stack.outsideBytes;
      await page.goto(new URL(`/leave/${how}`, stack.frontendUrl).toString());
      for (let i = 0; i < 100 && stack.outsideBytes === before; i++) await new Promise((r) => setTimeout(r, 100));
      expect(stack.outsideBytes).toBeGreaterThan(before);
    } finally {
      await browser.close();
    }
  });
});

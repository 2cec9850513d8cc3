// The browser pool as the worker runs it (prepareAhead: the next job's
// context and page are made while the current job renders, and a finished
// job's context closes after the job has its result), against a real
// Chromium and the fixture stack. Isolation, bounds, recycling, crash
// recovery and clean shutdown must hold exactly as without it.
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { RENDERER_NICE } from '../../src/browser/renderer-priority.js';
import { prepareStoryPage } from '../../src/browser/story-page.js';
import type { Config } from '../../src/config.js';
import { resolveStoryUrl } from '../../src/urls.js';
import { ToucanStack, stackConfig, testLogger } from '../fixtures/index.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { alive, niceOf, processGroup, renderersOf } from '../helpers/processes.js';

let stack: ToucanStack;
let config: Config;

beforeAll(async () => {
  stack = await ToucanStack.start();
  config = stackConfig(stack, { CONCURRENCY: '2' });
});

afterAll(async () => {
  await stack?.close();
});

const preparedPool = (overrides: Partial<Config> = {}) => new BrowserPool({ config: { ...config, ...overrides }, log: testLogger(), prepareAhead: true });

describe('browser pool with pages prepared ahead', () => {
  it('renders the story, each render in a context no other render has used', async () => {
    const pool = preparedPool();
    const renderer = createRenderer({ config, pool, log: testLogger() });
    const seen: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const result = await renderer.render({
          url: resolveStoryUrl('/demo?slide=sales&delay=50', config.frontendUrl),
          selector: config.selector,
          timeoutMs: 15_000,
          viewport: { width: 1280, height: 618, deviceScaleFactor: 1 },
          formats: ['png'],
          token: stack.token,
        });
        expect(showsChartNotLoader(decodePng(result.captures[0]!.data)).chart).toBeGreaterThan(0.1);
        seen.push(await pool.withPage((page) => Promise.resolve(page.browserContext().id ?? 'default')));
      }
    } finally {
      await pool.close();
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).not.toContain('default');
  });

  it.each([true, false])('never shares cookies or storage between renders (page made ahead: %s)', async (prepareAhead) => {
    const pool = prepareAhead ? preparedPool() : new BrowserPool({ config, log: testLogger() });
    const seen: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        seen.push(
          await pool.withPage(async (page) => {
            await page.goto(`${stack.frontendUrl}/`);
            const before = await page.evaluate(() => `${document.cookie}|${localStorage.getItem('k') ?? ''}`);
            await page.evaluate(() => {
              document.cookie = 'session=abc';
              localStorage.setItem('k', 'v');
            });
            return before;
          }),
        );
      }
    } finally {
      await pool.close();
    }
    expect(seen).toEqual(['|', '|', '|']);
  });

  it('closes each finished context, keeping at most one prepared context per page slot besides the default one', async () => {
    const pool = preparedPool();
    try {
      let browser: Browser | null = null;
      for (let i = 0; i < 4; i++) {
        browser = await pool.withPage(async (page) => {
          await page.goto('data:text/html,<p>job</p>');
          return page.browser();
        });
      }
      const b = browser!;
      // Besides the default context: the next jobs' prepared ones (CONCURRENCY of them), each holding one blank page.
      const others = () => Promise.all(b.browserContexts().filter((c) => c !== b.defaultBrowserContext()).map(async (c) => (await c.pages()).map((p) => p.url())));
      const prepared = Array.from({ length: config.concurrency }, () => ['about:blank']);
      await expect.poll(others, { timeout: 15_000 }).toEqual(prepared);
    } finally {
      await pool.close();
    }
  });

  it('sets pages up for a story ahead of their job, and such a page refuses every request until a job binds it', async () => {
    const setUp: Page[] = [];
    const pool = new BrowserPool({ config, log: testLogger(), prepareAhead: true, setUpPage: async (page) => {
      await prepareStoryPage(page);
      setUp.push(page);
    } });
    try {
      await pool.warmUp();
      await expect.poll(() => setUp.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(config.concurrency);
      const before = stack.frontendRequests.length;
      const outcome = await pool.withPage(async (page) => {
        const madeAhead = setUp.includes(page);
        const navigation = await page.goto(`${stack.frontendUrl}/demo`).then(() => 'loaded', (err: unknown) => String(err));
        return { madeAhead, navigation };
      });
      expect(outcome.madeAhead).toBe(true);
      expect(outcome.navigation).toMatch(/net::ERR_BLOCKED_BY_CLIENT/);
      expect(stack.frontendRequests.length).toBe(before);
    } finally {
      await pool.close();
    }
  });

  it.each([true, false])('never renders more than CONCURRENCY pages at once (page made ahead: %s)', async (prepareAhead) => {
    const pool = prepareAhead ? preparedPool({ concurrency: 2 }) : new BrowserPool({ config: { ...config, concurrency: 2 }, log: testLogger() });
    let open = 0;
    let most = 0;
    try {
      await Promise.all(
        Array.from({ length: 6 }, () =>
          pool.withPage(async (page) => {
            open += 1;
            most = Math.max(most, open, pool.pagesInUse);
            await page.goto('data:text/html,<p>wait</p>');
            // The job's render: the page is held while the other jobs ask for theirs.
            await new Promise((r) => setTimeout(r, 200));
            open -= 1;
          }),
        ),
      );
    } finally {
      await pool.close();
    }
    expect(most).toBe(2);
  });

  it('a job whose time runs out while Chromium is starting never gets a page, and its slot is free again', async () => {
    const pool = preparedPool();
    try {
      const job = new AbortController();
      let ran = false;
      const rendering = pool.withPage(() => {
        ran = true;
        return Promise.resolve();
      }, job.signal);
      // The browser is launching now (this pool has none yet): the deadline passes during the launch.
      job.abort(new Error('JOB_TIMEOUT'));
      await expect(rendering).rejects.toThrow('JOB_TIMEOUT');
      expect(ran).toBe(false);
      expect(pool.pagesInUse).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('recycles the browser after its page budget, and leaves no process of any browser behind', async () => {
    const pool = preparedPool({ browserRecycleAfter: 2 });
    const pids: number[] = [];
    const groups = new Set<number>();
    try {
      for (let i = 0; i < 5; i++) {
        const pid = await pool.withPage(async (page) => {
          await page.goto('data:text/html,<p>job</p>');
          return pool.browserPid()!;
        });
        pids.push(pid);
        for (const member of processGroup(pid)) groups.add(member);
      }
    } finally {
      await pool.close();
    }
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[0]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).not.toBe(pids[2]);
    await expect.poll(() => [...groups].filter(alive), { timeout: 15_000 }).toEqual([]);
  });

  it('relaunches after Chromium dies while a page is prepared, and the next render works', async () => {
    const pool = preparedPool();
    try {
      await pool.withPage(async (page) => {
        await page.goto('data:text/html,<p>first</p>');
      });
      const pid = pool.browserPid()!;
      process.kill(-pid, 'SIGKILL');
      await expect.poll(() => pool.browserPid(), { timeout: 15_000 }).not.toBeOneOf([null, pid]);
      const text = await pool.withPage(async (page) => {
        await page.goto('data:text/html,<p id="x">second</p>');
        return page.$eval('#x', (el) => el.textContent);
      });
      expect(text).toBe('second');
      expect(pool.browserPid()).not.toBe(pid);
    } finally {
      await pool.close();
    }
  });

  it('brings no browser-UI renderers with a fresh context (one renderer process per job), after a relaunch too', async () => {
    // Recycled after every page: the third job runs in the third browser launched by this pool.
    const pool = preparedPool({ browserRecycleAfter: 1 });
    try {
      for (let i = 0; i < 2; i++) await pool.withPage((page) => page.goto('data:text/html,<p>job</p>'));
      const targets = await pool.withPage(async (page) => {
        await page.goto('data:text/html,<p>job</p>');
        const session = await page.browser().target().createCDPSession();
        const { targetInfos } = await session.send('Target.getTargets');
        await session.detach();
        return targetInfos.map((t) => `${t.type} ${t.url}`);
      });
      // Chromium preloads omnibox popups as WebUI pages in every new context unless told not to (see CHROMIUM_ARGS).
      expect(targets.filter((t) => t.startsWith('browser_ui') || t.includes('top-chrome'))).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('runs every story renderer below the browser priority, after a relaunch too', async () => {
    // Recycled after every page: the second job runs in the second browser launched by this pool.
    const pool = preparedPool({ browserRecycleAfter: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        const seen = await pool.withPage(async (page) => {
          await page.goto('data:text/html,<p>job</p>');
          const browser = pool.browserPid()!;
          return { browser, renderers: renderersOf(browser).map((pid) => ({ pid, nice: niceOf(pid) })) };
        });
        // The page made ahead for the next job has its renderer too: one per job at least.
        expect(seen.renderers.length).toBeGreaterThan(0);
        for (const r of seen.renderers) expect(r.nice, `renderer ${r.pid}`).toBe(RENDERER_NICE);
        expect(niceOf(seen.browser)).toBeLessThanOrEqual(0);
      }
    } finally {
      await pool.close();
    }
  });
});

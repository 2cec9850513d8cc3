// Chromium lifecycle. One browser, launched lazily and kept warm; a fresh
// browser context (own cookies, storage, cache) for every render, so one
// job's token or session never meets another's; at most CONCURRENCY pages at
// once; relaunched after a crash or disconnect; replaced after
// BROWSER_RECYCLE_AFTER pages (Chromium's memory only grows); closed without
// leaving a process behind.
//
// With `prepareAhead`, the next job's context and blank page are made while
// the current job renders (a new page costs a renderer process: 100–200 ms
// on a small machine), and a finished job's context is closed after the job
// has its result. A prepared context is still used by one job only and
// closed after it: isolation is unchanged, only the waiting moves.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { hostResolverRules } from './network-policy.js';

export type PoolHealth = 'idle' | 'up' | 'down';
export type RestartReason = 'crash' | 'recycle';

export interface BrowserPoolOptions {
  config: Pick<Config, 'chromiumPath' | 'concurrency' | 'browserRecycleAfter' | 'frontendUrl' | 'backendUrl' | 'allowedOrigins'>;
  log: Logger;
  /** Origins whose host names Chromium may resolve (defaults to the config's frontend, backend and ALLOWED_ORIGINS). */
  resolvableOrigins?: string[];
  onRestart?: (reason: RestartReason) => void;
  onPagesInUse?: (count: number) => void;
  /**
   * Keep one fresh context and blank page ready for the next job, made while
   * the pool is otherwise idle or rendering (the worker turns this on; a
   * one-shot render has no next job to prepare for).
   */
  prepareAhead?: boolean;
}

const CANDIDATE_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];

/**
 * Flags for a headless worker in a container. The background-networking
 * family keeps Chromium from phoning home (on a closed network those calls
 * fail by the hundred); --no-sandbox because containers rarely grant the
 * user namespaces the sandbox needs, and the page is already confined by
 * the network policy and a non-root user.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-extensions',
  '--disable-default-apps',
  '--disable-breakpad',
  '--disable-domain-reliability',
  // HttpsUpgrades would turn an http:// FRONTEND_URL into https://, an origin the policy then blocks.
  // Headless Chromium still builds a window's browser UI for every browser
  // context, and since ~M14x that UI preloads two WebUI omnibox popups, each
  // in its own renderer process; with a fresh context per job they cost more
  // CPU than the story itself (measured: 3 renderer processes per job instead
  // of 1, about 5× the floor's CPU per job). The spare renderer is a process
  // kept warm for a context's next navigation; ours never has one (the
  // story's page is made ahead, and its first navigation keeps its process).
  '--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,WebUIOmniboxPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--dns-prefetch-disable',
  '--metrics-recording-only',
  '--mute-audio',
  '--hide-scrollbars',
  '--font-render-hinting=none',
];

/**
 * A new array of courier's flags (plus `extra`) for each launch: puppeteer
 * moves `--disable-features` out of the array it is given (it merges the
 * list with its own), so a shared array would lose our features after the
 * first launch, and a relaunched browser would run without them.
 */
export function chromiumArgs(extra: string[] = []): string[] {
  return [...CHROMIUM_ARGS, ...extra];
}

export function findChromium(explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new CourierError('BROWSER_CRASHED', `CHROMIUM_PATH=${explicit} does not exist`);
    return explicit;
  }
  const found = CANDIDATE_PATHS.find((p) => existsSync(p));
  if (!found) {
    throw new CourierError('BROWSER_CRASHED', `no Chromium found (looked at ${CANDIDATE_PATHS.join(', ')}); install Debian's chromium or set CHROMIUM_PATH`);
  }
  return found;
}

/** A fresh browser context and a blank page in it, for exactly one job. */
interface FreshPage {
  context: BrowserContext;
  page: Page;
  /** Its renderer died while it waited (killed for memory, say): never hand it to a job. */
  crashed: boolean;
}

/** The next job's FreshPage, made ahead; `value` is set once made (null if making it failed). */
interface Spare {
  gen: Generation;
  settled: boolean;
  value: FreshPage | null;
}

/** One launched browser and its bookkeeping. */
interface Generation {
  browser: Browser;
  pid: number | null;
  served: number;
  active: number;
  retiring: boolean;
  dead: boolean;
}

export class BrowserPool {
  private current: Generation | null = null;
  private launching: Promise<Generation> | null = null;
  private readonly retired = new Set<Generation>();
  private readonly waiters: (() => void)[] = [];
  private inUse = 0;
  private closed = false;
  private lastLaunchFailed = false;
  private spare: Spare | null = null;
  private readonly options: BrowserPoolOptions;

  constructor(options: BrowserPoolOptions) {
    this.options = options;
  }

  get pagesInUse(): number {
    return this.inUse;
  }

  health(): PoolHealth {
    if (this.current && !this.current.dead) return 'up';
    if (this.lastLaunchFailed || this.current?.dead) return 'down';
    return this.launching ? 'up' : 'idle';
  }

  /** PID of the current browser process (its process group leader), for tests and diagnostics. */
  browserPid(): number | null {
    return this.current?.pid ?? null;
  }

  async warmUp(): Promise<void> {
    await this.generation();
  }

  /**
   * Runs `fn` with a fresh page in a fresh browser context, then closes the
   * context whatever happens (in the background with `prepareAhead`: the
   * result does not wait for it). If the browser dies meanwhile, the error
   * is BROWSER_CRASHED (the next call relaunches it).
   */
  async withPage<T>(fn: (page: Page) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquireSlot(signal);
    let gen: Generation | null = null;
    let context: BrowserContext | null = null;
    try {
      gen = await this.generation();
      gen.active += 1;
      gen.served += 1;
      if (gen.served >= this.options.config.browserRecycleAfter) this.retire(gen);
      const fresh = this.takeSpare(gen) ?? (await openFreshPage(gen.browser));
      context = fresh.context;
      // Make the next job's page once this one's document has loaded: from
      // then on the job mostly waits for its story's data. Made earlier, it
      // would hold up this job's first steps (Chromium starting a renderer
      // process on a busy CPU).
      if (this.options.prepareAhead) {
        const owner = gen;
        fresh.page.once('domcontentloaded', () => this.prepareSpare(owner));
      }
      const onAbort = () => void fresh.context.close().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await fn(fresh.page);
      } catch (err) {
        if (gen.dead) throw crashed(err);
        throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (gen?.dead && !(err instanceof CourierError && err.code === 'BROWSER_CRASHED')) throw crashed(err);
      throw err;
    } finally {
      if (context) {
        const closing = context.close().catch(() => undefined);
        if (!this.options.prepareAhead) await closing;
      }
      if (gen) {
        gen.active -= 1;
        if (gen.retiring && gen.active === 0) void this.closeGeneration(gen);
        else this.prepareSpare(gen); // if the job ended before its document loaded
      }
      this.releaseSlot();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const launching = this.launching;
    if (launching) await launching.catch(() => undefined);
    // Contexts still closing in the background go with their browser.
    this.dropSpare();
    const all = [...this.retired, ...(this.current ? [this.current] : [])];
    this.current = null;
    await Promise.all(all.map((g) => this.closeGeneration(g)));
  }

  /** The prepared page, if one is ready for this browser; never waits for one still being made. */
  private takeSpare(gen: Generation): FreshPage | null {
    const spare = this.spare;
    if (!spare?.settled) return null;
    this.spare = null;
    const fresh = spare.value;
    if (fresh && spare.gen === gen && !gen.dead && !fresh.crashed && !fresh.page.isClosed()) return fresh;
    if (fresh) this.discard(fresh);
    return null;
  }

  /** Starts making the next job's page, unless one exists or the browser is on its way out. */
  private prepareSpare(gen: Generation): void {
    if (!this.options.prepareAhead || this.closed || this.spare || gen.dead || gen.retiring) return;
    const spare: Spare = { gen, settled: false, value: null };
    this.spare = spare;
    openFreshPage(gen.browser).then(
      (fresh) => {
        spare.settled = true;
        spare.value = fresh;
        // Dropped while it was being made (browser retired, pool closing): nobody will use it.
        if (this.spare !== spare) this.discard(fresh);
      },
      (err: unknown) => {
        spare.settled = true;
        if (this.spare === spare) this.spare = null;
        this.options.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not prepare the next page; the next job makes its own');
      },
    );
  }

  private dropSpare(gen?: Generation): void {
    const spare = this.spare;
    if (!spare || (gen && spare.gen !== gen)) return;
    this.spare = null;
    if (spare.value) this.discard(spare.value);
  }

  private discard(fresh: FreshPage): void {
    void fresh.context.close().catch(() => undefined);
  }

  private async acquireSlot(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new CourierError('BROWSER_CRASHED', 'the browser pool is closed (the worker is shutting down)');
    if (this.inUse < this.options.config.concurrency) {
      this.setInUse(this.inUse + 1);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.setInUse(this.inUse + 1);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new CourierError('JOB_TIMEOUT', 'the job was aborted while waiting for a free page'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaseSlot(): void {
    this.setInUse(this.inUse - 1);
    const next = this.waiters.shift();
    if (next) next();
  }

  private setInUse(count: number): void {
    this.inUse = count;
    this.options.onPagesInUse?.(count);
  }

  private async generation(): Promise<Generation> {
    if (this.current && !this.current.dead && !this.current.retiring) return this.current;
    this.launching ??= this.launch().finally(() => {
      this.launching = null;
    });
    return this.launching;
  }

  private async launch(): Promise<Generation> {
    const { config, log } = this.options;
    const origins = this.options.resolvableOrigins ?? [config.frontendUrl?.origin, config.backendUrl?.origin, ...config.allowedOrigins].filter((o): o is string => !!o);
    const rules = origins.length > 0 ? hostResolverRules(origins) : null;
    const args = chromiumArgs(rules ? [`--host-resolver-rules=${rules}`] : []);
    const started = Date.now();
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        executablePath: findChromium(config.chromiumPath),
        headless: true,
        args,
        pipe: true,
        // Some story captures legitimately take tens of seconds; a hung browser is caught by the phase budgets.
        protocolTimeout: 120_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (err) {
      this.lastLaunchFailed = true;
      if (err instanceof CourierError) throw err;
      throw new CourierError('BROWSER_CRASHED', `Chromium could not be launched: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
    }
    this.lastLaunchFailed = false;
    const gen: Generation = { browser, pid: browser.process()?.pid ?? null, served: 0, active: 0, retiring: false, dead: false };
    browser.on('disconnected', () => this.onDisconnected(gen));
    if (this.closed) {
      await this.closeGeneration(gen);
      throw new CourierError('BROWSER_CRASHED', 'the browser pool closed while Chromium was starting');
    }
    const previous = this.current;
    this.current = gen;
    log.info({ chromiumPid: gen.pid, ms: Date.now() - started, replaced: previous !== null }, 'chromium launched');
    this.prepareSpare(gen);
    return gen;
  }

  private onDisconnected(gen: Generation): void {
    if (gen.dead) return;
    gen.dead = true;
    this.dropSpare(gen);
    killProcessGroup(gen.pid);
    if (this.closed || gen.retiring) return;
    this.options.log.warn({ chromiumPid: gen.pid, activePages: gen.active }, 'chromium disconnected unexpectedly; relaunching');
    this.options.onRestart?.('crash');
    // Relaunch now rather than on the next job, so /readyz recovers on its own.
    void this.generation().catch((err: unknown) => this.options.log.error({ err }, 'chromium relaunch failed'));
  }

  private retire(gen: Generation): void {
    if (gen.retiring) return;
    gen.retiring = true;
    this.dropSpare(gen);
    this.retired.add(gen);
    this.options.log.info({ chromiumPid: gen.pid, served: gen.served }, 'recycling chromium after its page budget');
    this.options.onRestart?.('recycle');
  }

  private async closeGeneration(gen: Generation): Promise<void> {
    this.retired.delete(gen);
    gen.retiring = true;
    if (!gen.dead) {
      const closing = gen.browser.close().catch(() => undefined);
      const timeout = new Promise((r) => setTimeout(r, 5000).unref());
      await Promise.race([closing, timeout]);
    }
    gen.dead = true;
    killProcessGroup(gen.pid);
  }
}

/** Chromium's helpers (zygote, renderers, GPU) share the browser's process group; kill them all. */
function killProcessGroup(pid: number | null): void {
  if (pid === null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A new browser context and a blank page in it; the context is closed again if the page cannot be made. */
async function openFreshPage(browser: Browser): Promise<FreshPage> {
  const context = await browser.createBrowserContext();
  try {
    const fresh: FreshPage = { context, page: await context.newPage(), crashed: false };
    fresh.page.once('error', () => {
      fresh.crashed = true;
    });
    return fresh;
  } catch (err) {
    await context.close().catch(() => undefined);
    throw err;
  }
}

function crashed(err: unknown): CourierError {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new CourierError('BROWSER_CRASHED', `Chromium crashed or disconnected during the render (${reason}); the job will be retried on a fresh browser`, { cause: err });
}

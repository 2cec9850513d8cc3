// Chromium lifecycle. One browser, launched lazily and kept warm; a fresh
// browser context (own cookies, storage, cache) for every render, so one
// job's token or session never meets another's; at most CONCURRENCY pages at
// once; relaunched after a crash or disconnect; replaced after
// BROWSER_RECYCLE_AFTER pages (Chromium's memory only grows); closed without
// leaving a process behind.
//
// With `prepareAhead`, the next jobs' contexts and pages are made while
// other jobs render (a new page costs a renderer process: 100–200 ms on a
// small machine, more when busy), up to one per page slot, and set up for a
// story (`setUpPage`) before any job needs them; a finished job's context is
// closed after the job has its result. A prepared context is still used by
// one job only and closed after it: isolation is unchanged, only the
// waiting moves.
//
// Launching and closing one browser is generation.ts; the CONCURRENCY limit
// is page-slots.ts; this file is the pool that ties them to jobs.
import type { BrowserContext, Page } from 'puppeteer-core';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { CaptureGate } from './capture-gate.js';
import { killProcessGroup } from './chromium.js';
import { closeGeneration, launchGeneration, networkConfinement, type Generation, type Launched } from './generation.js';
import { PageSlots } from './page-slots.js';
import type { AssetCache } from './traffic/asset-cache.js';
import type { EgressListener } from './traffic/egress-proxy.js';
import type { TargetWatchJob } from './traffic/target-watch.js';
import { TrafficLayer } from './traffic/traffic-layer.js';

export { CHROMIUM_ARGS, chromiumArgs, findChromium, headlessModeOf } from './chromium.js';

export type PoolHealth = 'idle' | 'up' | 'down';
export type RestartReason = 'crash' | 'recycle';

export interface BrowserPoolOptions {
  config: Pick<Config, 'chromiumPath' | 'concurrency' | 'browserRecycleAfter'> & Partial<Pick<Config, 'chromiumSandbox'>>;
  log: Logger;
  /** The traffic layer every context's traffic goes through (default: the pool's own, closed with it). */
  traffic?: TrafficLayer;
  onRestart?: (reason: RestartReason) => void;
  onPagesInUse?: (count: number) => void;
  /**
   * Keep fresh contexts and pages ready for the next jobs (one per page
   * slot), made while the pool is otherwise idle or rendering (the worker
   * turns this on; a one-shot render has no next job to prepare for).
   */
  prepareAhead?: boolean;
  /** Runs on every fresh page before a job gets it (ahead of time for pages made ahead), e.g. prepareStoryPage. */
  setUpPage?: (page: Page) => Promise<void>;
  /**
   * Log a sandbox that is off (root, or CHROMIUM_SANDBOX=off) as a warning
   * (default): the worker says it at start. A one-shot command says it at
   * info level, so its stderr stays for its own result.
   */
  warnSandboxOff?: boolean;
}

/** What a job holds besides its page: its context's way out, and the watch on the targets it starts. */
export interface PageLease {
  egress: EgressListener;
  /** The worker's shared cache of public static files (null: off). */
  cache: AssetCache | null;
  /** Reports the context's popups and workers to the job until the context closes. */
  watchTargets(job: TargetWatchJob): void;
  /** Marks this job's capture as under way until the returned function is called: closing finished jobs' contexts waits meanwhile (capture-gate.ts). */
  capturing(): () => void;
}

/** The longest closing a finished job's context waits for captures to end. */
const MAX_HOUSEKEEPING_HOLD_MS = 1_000;

/** A fresh browser context and a blank page in it, for exactly one job. */
interface FreshPage {
  context: BrowserContext;
  page: Page;
  egress: EgressListener;
  /** Its renderer died while it waited (killed for memory, say): never hand it to a job. */
  crashed: boolean;
}

/** A next job's FreshPage, made ahead; `value` is set once made (null if making it failed). */
interface Spare {
  gen: Generation;
  settled: boolean;
  value: FreshPage | null;
}

export class BrowserPool {
  private current: Generation | null = null;
  private launching: Promise<Generation> | null = null;
  private readonly retired = new Set<Generation>();
  private readonly slots: PageSlots;
  private closed = false;
  private lastLaunchFailed = false;
  /** Pages made ahead for the next jobs, oldest first (at most one per page slot). */
  private spares: Spare[] = [];
  private sandboxWarned = false;
  /** Closing a finished job's context waits while another job captures. */
  private readonly captures = new CaptureGate(MAX_HOUSEKEEPING_HOLD_MS);
  private readonly options: BrowserPoolOptions;
  private readonly traffic: TrafficLayer;
  private readonly ownsTraffic: boolean;

  constructor(options: BrowserPoolOptions) {
    this.options = options;
    this.ownsTraffic = !options.traffic;
    this.traffic = options.traffic ?? new TrafficLayer({ log: options.log });
    this.slots = new PageSlots(options.config.concurrency, options.onPagesInUse);
  }

  get pagesInUse(): number {
    return this.slots.used;
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
  async withPage<T>(fn: (page: Page, lease: PageLease) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.slots.acquire(signal);
    let gen: Generation | null = null;
    let fresh: FreshPage | null = null;
    try {
      gen = await this.generation();
      gen.active += 1;
      gen.served += 1;
      if (gen.served >= this.options.config.browserRecycleAfter) this.retire(gen);
      fresh = this.takeSpare(gen) ?? (await this.openFreshPage(gen));
      const owned = fresh;
      // Make the next job's page once this one's document has loaded: from
      // then on the job mostly waits for its story's data. Made earlier, it
      // would hold up this job's first steps (Chromium starting a renderer
      // process on a busy CPU).
      if (this.options.prepareAhead) {
        const owner = gen;
        fresh.page.once('domcontentloaded', () => this.prepareSpare(owner));
      }
      // The job may have run out of time while Chromium was starting (slow on a busy machine): 'abort' has fired already.
      signal?.throwIfAborted();
      const onAbort = () => void owned.context.close().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      const targets = gen.targets;
      const lease: PageLease = {
        egress: owned.egress,
        cache: this.traffic.cache,
        watchTargets: (job) => targets.watch(owned.context.id ?? '', job),
        capturing: () => this.captures.enter(),
      };
      try {
        return await fn(owned.page, lease);
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
      if (fresh) {
        // With pages made ahead nobody waits for the close: it waits for other jobs' captures instead.
        const closed = fresh;
        const owner = gen;
        if (this.options.prepareAhead) void this.captures.idle().then(() => this.closeFresh(closed, owner));
        else await this.closeFresh(closed, owner);
      }
      if (gen) {
        gen.active -= 1;
        if (gen.retiring && gen.active === 0) void this.closeGeneration(gen);
        else this.prepareSpare(gen); // if the job ended before its document loaded
      }
      this.slots.release();
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
    if (this.ownsTraffic) await this.traffic.close();
  }

  /** A prepared page, if one is ready for this browser; never waits for one still being made. */
  private takeSpare(gen: Generation): FreshPage | null {
    for (const spare of this.spares.filter((s) => s.settled)) {
      this.spares.splice(this.spares.indexOf(spare), 1);
      const fresh = spare.value;
      if (fresh && spare.gen === gen && !gen.dead && !fresh.crashed && !fresh.page.isClosed()) return fresh;
      if (fresh) this.discard(fresh);
    }
    return null;
  }

  /** Starts making one more page for the next jobs, unless there are enough or the browser is on its way out. */
  private prepareSpare(gen: Generation): void {
    if (!this.options.prepareAhead || this.closed || gen.dead || gen.retiring) return;
    if (this.spares.length >= this.options.config.concurrency) return;
    const spare: Spare = { gen, settled: false, value: null };
    this.spares.push(spare);
    this.openFreshPage(gen).then(
      (fresh) => {
        spare.settled = true;
        spare.value = fresh;
        // Dropped while it was being made (browser retired, pool closing): nobody will use it.
        if (!this.spares.includes(spare)) this.discard(fresh);
      },
      (err: unknown) => {
        spare.settled = true;
        const index = this.spares.indexOf(spare);
        if (index >= 0) this.spares.splice(index, 1);
        this.options.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not prepare a page ahead; the next job makes its own');
      },
    );
  }

  private dropSpare(gen?: Generation): void {
    const dropped = this.spares.filter((s) => !gen || s.gen === gen);
    this.spares = this.spares.filter((s) => !dropped.includes(s));
    for (const spare of dropped) if (spare.value) this.discard(spare.value);
  }

  private discard(fresh: FreshPage): void {
    void this.closeFresh(fresh, null);
  }

  /** A new browser context behind its own egress listener, and a blank page in it; undone if any step fails. */
  private async openFreshPage(gen: Generation): Promise<FreshPage> {
    const egress = await this.traffic.openListener();
    let context: BrowserContext | null = null;
    try {
      // Inside Chromium's network namespace, the listener's port must lead to it too.
      await gen.jail?.expose(egress.proxyServer);
      context = await gen.browser.createBrowserContext({ proxyServer: egress.proxyServer, proxyBypassList: ['<-loopback>'] });
      const fresh: FreshPage = { context, page: await context.newPage(), egress, crashed: false };
      fresh.page.once('error', () => {
        fresh.crashed = true;
      });
      await this.options.setUpPage?.(fresh.page);
      return fresh;
    } catch (err) {
      await context?.close().catch(() => undefined);
      await this.traffic.closeListener(egress);
      throw err;
    }
  }

  /** The context first (its pages stop), then its listener. */
  private async closeFresh(fresh: FreshPage, gen: Generation | null): Promise<void> {
    if (gen && fresh.context.id) gen.targets.unwatch(fresh.context.id);
    await fresh.context.close().catch(() => undefined);
    await this.traffic.closeListener(fresh.egress);
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
    const started = Date.now();
    let launched: Launched;
    try {
      launched = await launchGeneration({ config, log, traffic: this.traffic, onSandboxOff: (warning) => this.saySandboxOff(warning) });
    } catch (err) {
      this.lastLaunchFailed = true;
      throw err;
    }
    this.lastLaunchFailed = false;
    const { gen, executablePath, rendererNice } = launched;
    gen.browser.on('disconnected', () => this.onDisconnected(gen));
    if (this.closed) {
      await this.closeGeneration(gen);
      throw new CourierError('BROWSER_CRASHED', 'the browser pool closed while Chromium was starting');
    }
    const previous = this.current;
    this.current = gen;
    // How far Chromium's network is walled in: its own namespace, or its switches only (docs/security.md).
    const network = networkConfinement();
    log.info({ chromiumPid: gen.pid, executablePath, ms: Date.now() - started, replaced: previous !== null, rendererNice, network: network.level, ...(network.level === 'switches' ? { networkWhy: network.why } : {}) }, 'chromium launched');
    for (let i = 0; i < config.concurrency; i++) this.prepareSpare(gen);
    return gen;
  }

  /** Once per pool: the worker warns at start; a one-shot command says it at info level, so its stderr stays for its result. */
  private saySandboxOff(warning: string): void {
    if (this.sandboxWarned) return;
    this.sandboxWarned = true;
    this.options.log[this.options.warnSandboxOff === false ? 'info' : 'warn']({ sandbox: false }, `Chromium's sandbox is off: ${warning}`);
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
    await closeGeneration(gen);
  }
}

function crashed(err: unknown): CourierError {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new CourierError('BROWSER_CRASHED', `Chromium crashed or disconnected during the render (${reason}); the job will be retried on a fresh browser`, { cause: err });
}

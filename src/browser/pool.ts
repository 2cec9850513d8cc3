// Chromium lifecycle. One browser, launched lazily and kept warm; a fresh
// browser context (own cookies, storage, cache) for every render, so one
// job's token or session never meets another's; at most CONCURRENCY pages at
// once; relaunched after a crash or disconnect; replaced after
// BROWSER_RECYCLE_AFTER pages (Chromium's memory only grows); closed without
// leaving a process behind.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
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
}

const CANDIDATE_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];

/**
 * Flags for a headless worker in a container. The background-networking
 * family keeps Chromium from phoning home (on a closed network those calls
 * fail by the hundred); --no-sandbox because containers rarely grant the
 * user namespaces the sandbox needs, and the page is already confined by
 * the network policy and a non-root user.
 */
const CHROMIUM_ARGS = [
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
  '--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--dns-prefetch-disable',
  '--metrics-recording-only',
  '--mute-audio',
  '--hide-scrollbars',
  '--font-render-hinting=none',
];

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
   * context whatever happens. If the browser dies meanwhile, the error is
   * BROWSER_CRASHED (the next call relaunches it).
   */
  async withPage<T>(fn: (page: Page) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquireSlot(signal);
    let gen: Generation | null = null;
    try {
      gen = await this.generation();
      gen.active += 1;
      gen.served += 1;
      if (gen.served >= this.options.config.browserRecycleAfter) this.retire(gen);
      const context = await gen.browser.createBrowserContext();
      const onAbort = () => void context.close().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const page = await context.newPage();
        return await fn(page);
      } catch (err) {
        if (gen.dead) throw crashed(err);
        throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await context.close().catch(() => undefined);
      }
    } catch (err) {
      if (gen?.dead && !(err instanceof CourierError && err.code === 'BROWSER_CRASHED')) throw crashed(err);
      throw err;
    } finally {
      if (gen) {
        gen.active -= 1;
        if (gen.retiring && gen.active === 0) void this.closeGeneration(gen);
      }
      this.releaseSlot();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const launching = this.launching;
    if (launching) await launching.catch(() => undefined);
    const all = [...this.retired, ...(this.current ? [this.current] : [])];
    this.current = null;
    await Promise.all(all.map((g) => this.closeGeneration(g)));
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
    const args = rules ? [...CHROMIUM_ARGS, `--host-resolver-rules=${rules}`] : CHROMIUM_ARGS;
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
    return gen;
  }

  private onDisconnected(gen: Generation): void {
    if (gen.dead) return;
    gen.dead = true;
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

function crashed(err: unknown): CourierError {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new CourierError('BROWSER_CRASHED', `Chromium crashed or disconnected during the render (${reason}); the job will be retried on a fresh browser`, { cause: err });
}

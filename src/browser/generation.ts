// One launched Chromium and its bookkeeping: a "generation" of the pool.
// The pool starts a new one after a crash or disconnect, and after
// BROWSER_RECYCLE_AFTER pages (Chromium's memory only grows); it closes one
// without leaving a process behind.
import puppeteer, { type Browser } from 'puppeteer-core';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { chromiumArgs, chromiumEnv, decideSandbox, egressArgs, findChromium, headlessModeOf, ignoreStreamErrorsAfterDeath, killProcessGroup, runningAsRoot } from './chromium.js';
import { NetnsJail, probeConfinement, type Confinement } from './netns.js';
import { lowerRendererPriority, RENDERER_NICE } from './renderer-priority.js';
import { TargetWatch } from './traffic/target-watch.js';
import type { TrafficLayer } from './traffic/traffic-layer.js';

export interface Generation {
  browser: Browser;
  targets: TargetWatch;
  pid: number | null;
  served: number;
  active: number;
  retiring: boolean;
  dead: boolean;
  /** The network namespace Chromium runs in (null where the worker may not make one). */
  jail: NetnsJail | null;
}

let confinement: Confinement | null = null;
/** Probed once per process: whether Chromium can be put in a network namespace of its own. */
export function networkConfinement(): Confinement {
  confinement ??= probeConfinement();
  return confinement;
}

export interface LaunchOptions {
  config: Pick<Config, 'chromiumPath'> & Partial<Pick<Config, 'chromiumSandbox'>>;
  log: Logger;
  traffic: TrafficLayer;
  /** Told why the sandbox is off, at every launch where it is (the pool says it once). */
  onSandboxOff: (warning: string) => void;
}

export interface Launched {
  gen: Generation;
  executablePath: string;
  /** The renderers' nice value, or null if Chromium's zygote could not be lowered. */
  rendererNice: number | null;
}

/** Launches Chromium behind the traffic layer's catch-all proxy; every failure is BROWSER_CRASHED. */
export async function launchGeneration(options: LaunchOptions): Promise<Launched> {
  const { config } = options;
  const { sandbox, warning } = decideSandbox(config.chromiumSandbox, runningAsRoot());
  if (warning) options.onSandboxOff(warning);
  let browser: Browser;
  let executablePath: string;
  let jail: NetnsJail | null = null;
  try {
    const catchAll = await options.traffic.catchAllProxy();
    const args = chromiumArgs(egressArgs(catchAll), { sandbox });
    executablePath = findChromium(config.chromiumPath ?? undefined);
    if (networkConfinement().level === 'namespace') {
      jail = await NetnsJail.open(executablePath);
      await jail.expose(catchAll);
    }
    browser = await puppeteer.launch({
      executablePath: jail?.executablePath ?? executablePath,
      headless: headlessModeOf(executablePath),
      args,
      // Only what Chromium needs to run: none of the worker's secrets.
      env: chromiumEnv(),
      pipe: true,
      // Some story captures legitimately take tens of seconds; a hung browser is caught by the phase budgets.
      protocolTimeout: 120_000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (err) {
    await jail?.close();
    if (err instanceof CourierError) throw err;
    throw new CourierError('BROWSER_CRASHED', `Chromium could not be launched: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  ignoreStreamErrorsAfterDeath(browser);
  let targets: TargetWatch;
  try {
    targets = await TargetWatch.start(browser);
  } catch (err) {
    await browser.close().catch(() => undefined);
    await jail?.close();
    throw new CourierError('BROWSER_CRASHED', `Chromium started but did not answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const gen: Generation = { browser, targets, pid: browser.process()?.pid ?? null, served: 0, active: 0, retiring: false, dead: false, jail };
  // Before any page is made, so every story's renderer is forked at the lower priority.
  const rendererNice = gen.pid !== null && lowerRendererPriority(gen.pid).zygotes > 0 ? RENDERER_NICE : null;
  return { gen, executablePath, rendererNice };
}

/** Closes the browser (at most 5 s of waiting), then kills whatever is left of its process group. */
export async function closeGeneration(gen: Generation): Promise<void> {
  gen.retiring = true;
  if (!gen.dead) {
    const closing = gen.browser.close().catch(() => undefined);
    const timeout = new Promise((r) => setTimeout(r, 5000).unref());
    await Promise.race([closing, timeout]);
  }
  gen.dead = true;
  killProcessGroup(gen.pid);
  await gen.jail?.close();
}

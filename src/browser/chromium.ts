// How Chromium is launched: where it is, its flags, its sandbox and its
// environment. Pure apart from findChromium's file checks.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { CourierError } from '../errors.js';
import { RESOLVE_NOTHING } from './network-policy.js';

/**
 * Looked at in this order. The headless shell comes first: it is Chromium's
 * engine without the browser's own UI (Debian's chromium-headless-shell;
 * Google's chrome-headless-shell). The full browser in headless mode still
 * builds a window, its tab strip and a profile's hundreds of services for
 * every browser context, and composites that UI while pages load: measured
 * at CONCURRENCY 4 on the gallery's echarts story (2 cores), its main thread
 * spent about 340 ms per job there, against about 110 ms for the shell; the
 * worker's whole Chromium used 30 % less CPU per job, and the time from a
 * story's final frame to its job's end fell by half. /usr/bin/chromium-headless-shell
 * is a wrapper script that does not exec, so the binary itself is named.
 */
const CANDIDATE_PATHS = [
  '/usr/lib/chromium/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
];

/** How puppeteer starts this executable: `--headless` for a headless shell (which has no other mode), `--headless=new` for a full browser. */
export function headlessModeOf(executablePath: string): 'shell' | true {
  return /headless[-_]shell/.test(basename(executablePath)) ? 'shell' : true;
}

/**
 * Flags for a headless worker in a container. The background-networking
 * family keeps Chromium from phoning home (on a closed network those calls
 * fail by the hundred).
 */
export const CHROMIUM_ARGS: readonly string[] = [
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
  // WebRtcHideLocalIpsWithMdns also gates the resolution of a remote ICE
  // candidate's `.local` name: with it on, a story that adds one makes the
  // network service send multicast DNS (224.0.0.251:5353) past the proxy
  // (seen under strace on Chromium 156, both builds; issue 23).
  '--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,WebUIOmniboxPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess,WebRtcHideLocalIpsWithMdns',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--dns-prefetch-disable',
  '--metrics-recording-only',
  '--mute-audio',
  '--hide-scrollbars',
  '--font-render-hinting=none',
];

/** Whether this process runs as root (Chromium's sandbox refuses to start as root). */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * A new array of courier's flags (plus `extra`) for each launch: puppeteer
 * moves `--disable-features` out of the array it is given (it merges the
 * list with its own), so a shared array would lose our features after the
 * first launch, and a relaunched browser would run without them.
 * `--no-sandbox` only when the sandbox is off (as root it must be).
 */
export function chromiumArgs(extra: string[] = [], options: { sandbox?: boolean } = {}): string[] {
  const sandbox = options.sandbox ?? !runningAsRoot();
  return [...(sandbox ? [] : ['--no-sandbox']), ...CHROMIUM_ARGS, ...extra];
}

/**
 * The flags that route all of a story's traffic through the egress proxy:
 * a browser-wide proxy that refuses everything (each job's context gets its
 * own listener instead), loopback included (Chromium bypasses loopback
 * unless told `<-loopback>`), WebRTC allowed no UDP except through the proxy
 * (which has none, so none at all), and no name resolution by Chromium.
 */
export function egressArgs(catchAllProxy: string): string[] {
  return [
    `--proxy-server=${catchAllProxy}`,
    '--proxy-bypass-list=<-loopback>',
    // Each build reads its own switch (checked on Chromium 156, no UDP packet leaves): the full browser
    // --webrtc-ip-handling-policy (a browser preference; it ignores --force-…), the headless shell, which
    // has no preferences, only content's --force-webrtc-ip-handling-policy.
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    `--host-resolver-rules=${RESOLVE_NOTHING}`,
  ];
}

export type SandboxSetting = 'auto' | 'off';

export interface SandboxDecision {
  sandbox: boolean;
  /** Why it is off, for the warning logged at start; null when on. */
  warning: string | null;
}

/** Pure: the sandbox is on unless the operator turned it off or the worker runs as root. */
export function decideSandbox(setting: SandboxSetting | undefined, asRoot: boolean): SandboxDecision {
  if (setting === 'off') {
    return { sandbox: false, warning: "CHROMIUM_SANDBOX=off: Chromium runs without its sandbox; a story that exploits a renderer bug then runs with the worker's own rights" };
  }
  if (asRoot) {
    return { sandbox: false, warning: 'the worker runs as root, where Chromium cannot use its sandbox; run it as a normal user (the image does)' };
  }
  return { sandbox: true, warning: null };
}

/**
 * What Chromium may see of the worker's environment: what it needs to run
 * (paths, locale, fonts, time zone) and nothing else. The worker's secrets
 * (MICROSOFT_APP_PASSWORD, SMTP_URL, ARTIFACT_LINK_SECRET, REDIS_URL…) and
 * proxies of its own never reach the browser or a renderer.
 */
const CHROMIUM_ENV = /^(PATH|HOME|TMPDIR|TZ|LANG|LANGUAGE|LC_[A-Z_]+|FONTCONFIG_[A-Z_]+|XDG_[A-Z_]+)$/;

export function chromiumEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && CHROMIUM_ENV.test(name)) out[name] = value;
  }
  return out;
}

export function findChromium(explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new CourierError('BROWSER_CRASHED', `CHROMIUM_PATH=${explicit} does not exist`);
    return explicit;
  }
  const found = CANDIDATE_PATHS.find((p) => existsSync(p));
  if (!found) {
    throw new CourierError('BROWSER_CRASHED', `no Chromium found (looked at ${CANDIDATE_PATHS.join(', ')}); install Debian's chromium-headless-shell (or chromium) or set CHROMIUM_PATH`);
  }
  return found;
}

/** Chromium's helpers (zygote, renderers, GPU) share the browser's process group; kill them all. */
export function killProcessGroup(pid: number | null): void {
  if (pid === null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * When Chromium dies (killed, crashed, recycled), a read on one of its pipes can
 * still fail with ECONNRESET after puppeteer's transport has closed and dropped
 * its own error listener; unheard, that error would crash the worker. The
 * death itself is handled through 'disconnected'.
 */
export function ignoreStreamErrorsAfterDeath(browser: Browser): void {
  for (const stream of browser.process()?.stdio ?? []) stream?.on('error', () => undefined);
}

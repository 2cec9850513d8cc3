// When is a story "truly ready"? Fail closed: all of these hold at once.
//   1. the selector matches a visible element;
//   2. no BUSY_SELECTOR element is visible anywhere in the page;
//   3. no request has been in flight for QUIET_WINDOW_MS;
//   4. document.fonts have loaded;
//   5. the element's layout (box and DOM size) is stable across STABLE_SAMPLES samples.
// This file is pure: the render loop feeds it samples taken in the page and
// network counters, and it answers "ready" or the list of unmet conditions,
// which a timeout names.

/** One look at the page, taken by probePage() inside the page. */
export interface PageSample {
  /** The element matching the selector exists and has a visible box. */
  selectorVisible: boolean;
  /** Visible elements matching the busy selector. */
  busyVisible: number;
  fontsLoaded: boolean;
  /** Box and DOM size of the element, e.g. "24,72,1000,520,31"; null when absent. */
  layout: string | null;
}

export interface NetworkState {
  inFlight: number;
  /** When a request last started or ended (ms, same clock as `now`). */
  lastActivityAt: number;
}

export type Condition = 'selector' | 'busy' | 'network' | 'fonts' | 'layout';

export interface ReadinessVerdict {
  ready: boolean;
  unmet: Condition[];
}

/**
 * How long the network must stay quiet. Long enough to bridge the gap
 * between a data call ending and the chart code starting the next one;
 * short, because Toucan marks its loading states with aria-busy (condition
 * 2), which covers longer chains.
 */
export const QUIET_WINDOW_MS = 150;
/** Samples with an identical layout needed before capture (at SAMPLE_INTERVAL_MS apart). */
export const STABLE_SAMPLES = 3;
export const SAMPLE_INTERVAL_MS = 50;

export function assessReadiness(recent: readonly PageSample[], network: NetworkState, now: number): ReadinessVerdict {
  const unmet: Condition[] = [];
  const latest = recent.at(-1);
  if (!latest?.selectorVisible) unmet.push('selector');
  if (!latest || latest.busyVisible > 0) unmet.push('busy');
  if (network.inFlight > 0 || now - network.lastActivityAt < QUIET_WINDOW_MS) unmet.push('network');
  if (!latest?.fontsLoaded) unmet.push('fonts');
  if (!layoutStable(recent)) unmet.push('layout');
  return { ready: unmet.length === 0, unmet };
}

function layoutStable(recent: readonly PageSample[]): boolean {
  if (recent.length < STABLE_SAMPLES) return false;
  const window = recent.slice(-STABLE_SAMPLES);
  const first = window[0]?.layout ?? null;
  return first !== null && window.every((s) => s.layout === first);
}

/** A sentence per unmet condition, for SELECTOR_TIMEOUT. */
export function describeUnmet(unmet: readonly Condition[], selector: string, busySelector: string, network: NetworkState): string {
  const words: Record<Condition, string> = {
    selector: `no visible element matches ${JSON.stringify(selector)}`,
    busy: `a busy indicator ${JSON.stringify(busySelector)} is still visible`,
    network: network.inFlight > 0 ? `${network.inFlight} request(s) still in flight` : 'the network was not quiet',
    fonts: 'fonts were still loading',
    layout: 'the layout kept changing',
  };
  return unmet.map((c) => words[c]).join('; ');
}

/**
 * Runs inside the page (serialised by puppeteer): must be self-contained.
 * Reads what assessReadiness needs, in one round trip.
 */
export function probePage(selector: string, busySelector: string): PageSample {
  const visible = (el: Element): boolean => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
  };
  const element = document.querySelector(selector);
  let busyVisible = 0;
  for (const el of Array.from(document.querySelectorAll(busySelector))) if (visible(el)) busyVisible += 1;
  let layout: string | null = null;
  if (element) {
    const r = element.getBoundingClientRect();
    layout = [r.x, r.y, r.width, r.height, element.getElementsByTagName('*').length].map((n) => Math.round(n * 10) / 10).join(',');
  }
  return {
    selectorVisible: element !== null && visible(element),
    busyVisible,
    fontsLoaded: document.fonts.status === 'loaded',
    layout,
  };
}

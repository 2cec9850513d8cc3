// When is a story "truly ready"? Fail closed: all of these hold at once.
//   selector   the selector matches a visible element, and the document has parsed;
//   busy       no BUSY_SELECTOR element is visible anywhere in the page;
//   loader     no endlessly repeating animation is visible over the element
//              (a spinner nobody marked aria-busy);
//   fonts      no web font is still loading;
//   images     every picture in the element has arrived;
//   animation  no finite animation or transition is running over the element;
//   timers     no short timer chain (a debounce, "draw in 500 ms") is pending;
//   network    no request is in flight (as Chromium sees it, and as the page's
//              own fetch/XHR calls see it), and none ended in the last moments;
//   quiet      nothing changed in the element (DOM, attributes, canvas
//              drawing, box) for QUIET_MS.
// Endless motion that is decoration (a pulsing badge, a ticker, a looping
// Lottie beside drawn content; or anything IGNORE_SELECTOR / `ignore`
// names) is not a loader and not a change: page-motion.ts tells the two
// apart. A page that marks itself (data-render-complete, Kibana's
// data-shared-items-count) is judged by its marks instead; one that marks
// an error (data-render-error) fails at once.
// Judged on what the page does, not only on what it declares: the facts
// come from observers installed at document start (page-probe.ts) and from
// the browser's own network events (page-observer.ts).
//
// This file is pure. pageUnmet() also runs inside the page (its source is
// sent with the probe), so the page answers "settled" within a frame of its
// last change, by the very rules the unit tests check.

/** What the probe reports, read in the page in one round trip. */
export interface PageFacts {
  /** performance.now() in the page when the facts were taken. */
  at: number;
  documentParsed: boolean;
  selectorVisible: boolean;
  /** Visible elements matching BUSY_SELECTOR. */
  busyVisible: number;
  /** Endless animations visible over the element that look like loaders, described ("CSSAnimation spin on div.spinner: it turns"). */
  loaders: string[];
  /** Endless motion judged decoration or ignored, described with why: not waited for, reset for the capture. */
  decoration?: string[];
  /** Finite animations and transitions running over the element. */
  animations: string[];
  fontsLoading: boolean;
  /** Pictures in the element that have not arrived (their URLs). */
  imagesPending: string[];
  /** Where a pending picture lies when that may be why it was never asked for ("below the fold, loading=lazy"), by URL. */
  imageNotes?: Record<string, string>;
  /** Pending short timers that still count as the page's work. */
  timersPending: number;
  /** fetch() and XMLHttpRequest calls of the page's scripts not answered yet. */
  requestsPending: number;
  /** ms since the last change in or over the element. */
  quietForMs: number;
  /** Frames the page has produced since that change (0 when none was produced). */
  quietFrames: number;
  /** What changed last ("canvas drawing in canvas", "DOM change in div.bars", …). */
  lastChange: string;
  /** How many changes the probe has seen: equal counts at two moments mean nothing changed in between. */
  changes: number;
  /**
   * The element's box when it lies wholly in the unscrolled viewport, with
   * the page's devicePixelRatio: what a capture clips to, without asking
   * the page again (null: not wholly in view; the capture scrolls it in).
   * A move or resize counts as a change, so equal `changes` mean the same box.
   */
  clip: ElementClip | null;
  /** The element's box in the document (CSS px, scroll included), and the viewport's size: whether it is wholly in view. */
  box?: Box | null;
  view?: { width: number; height: number };
  /** The page's own marks (data-render-complete …), when it gives any: they decide instead of the rules below. */
  marks?: RenderMarks | null;
  /** Messages of data-render-error marks: the story says it failed. */
  renderErrors?: string[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Kibana's signals: data-render-complete on the element or its panels, data-shared-items-count against [data-shared-item]. */
export interface RenderMarks {
  complete: boolean;
  /** What is still unmarked, in words ("3 of 8 panels have not marked data-render-complete=true"). */
  waiting: string;
}

export interface ElementClip {
  x: number;
  y: number;
  width: number;
  height: number;
  /** devicePixelRatio: the capture's pixels per CSS pixel. */
  scale: number;
}

export interface InFlightRequest {
  method: string;
  url: string;
  /** ms since the request started. */
  ageMs: number;
}

export interface NetworkState {
  inFlight: InFlightRequest[];
  /** ms since a request last started or ended. */
  quietForMs: number;
}

export type Condition = 'selector' | 'busy' | 'marks' | 'unseen' | 'loader' | 'fonts' | 'images' | 'animation' | 'timers' | 'network' | 'quiet' | 'unresponsive';

export interface Limits {
  /** How long the element must stay unchanged… */
  quietMs: number;
  /**
   * …over at least this many frames: an animation changes something every
   * frame, so on a machine too busy to produce frames on time, elapsed
   * milliseconds alone would take a pause between two frames for the end.
   */
  quietFrames: number;
  /** How long the network must stay idle after its last request. */
  networkQuietMs: number;
}

/**
 * Short, because every known way a page keeps working (requests, timers,
 * animations, fonts, pictures) is tracked as pending work in its own right:
 * the quiet time only has to bridge the frame between "data arrived" and
 * "the chart code drew it". Measured on the gallery: every library draws its
 * first frame within one frame (16 ms) of the data callback.
 */
export const DEFAULT_LIMITS: Limits = { quietMs: 50, quietFrames: 3, networkQuietMs: 50 };

/** The page's own part of the limits (sent to the page with pageUnmet). */
export type QuietLimits = Pick<Limits, 'quietMs' | 'quietFrames'>;

/** Timers longer than this are not the page's pending work (a refresh every minute is not loading). */
export const TIMER_MAX_DELAY_MS = 2_000;
/**
 * A timer set by a timer callback belongs to the first one's chain; a chain
 * counts as pending work for this long after it started, so a debounce is
 * waited for, and endless polling cannot block readiness forever.
 */
export const TIMER_CHAIN_BUDGET_MS = 3_000;

/**
 * The conditions the page alone can judge. Runs in the page too: keep it
 * self-contained. A page that marks its own state (facts.marks) is judged
 * by its marks, the element, busy indicators and fonts: nothing else it
 * does then holds the capture back (a poll, a ticker, a long animation).
 */
export function pageUnmet(facts: PageFacts, quiet: QuietLimits): Condition[] {
  const unmet: Condition[] = [];
  if (!facts.documentParsed || !facts.selectorVisible) unmet.push('selector');
  if (facts.busyVisible > 0) unmet.push('busy');
  if (facts.marks) {
    if (!facts.marks.complete) unmet.push('marks');
    if (facts.fontsLoading) unmet.push('fonts');
    return unmet;
  }
  if (facts.loaders.length > 0) unmet.push('loader');
  if (facts.fontsLoading) unmet.push('fonts');
  if (facts.imagesPending.length > 0) unmet.push('images');
  if (facts.animations.length > 0) unmet.push('animation');
  if (facts.timersPending > 0) unmet.push('timers');
  if (facts.requestsPending > 0) unmet.push('network');
  if (facts.quietForMs < quiet.quietMs || facts.quietFrames < quiet.quietFrames) unmet.push('quiet');
  return unmet;
}

export interface ReadinessVerdict {
  ready: boolean;
  unmet: Condition[];
}

/**
 * The whole verdict: the page's conditions and the network's. `facts` is
 * null when the page did not answer. `unseen`: part of the element could
 * not be brought into view (whole-view.ts), so it cannot count as ready.
 */
export function assessReadiness(facts: PageFacts | null, network: NetworkState, limits: Limits = DEFAULT_LIMITS, unseen = false): ReadinessVerdict {
  const unmet = facts ? pageUnmet(facts, limits) : ['unresponsive' as const];
  if (unseen) unmet.unshift('unseen');
  // The page's marks speak for its requests too (a poll or a stream keeps going after "complete").
  const networkBusy = !facts?.marks && (network.inFlight.length > 0 || network.quietForMs < limits.networkQuietMs);
  if (networkBusy && !unmet.includes('network')) unmet.push('network');
  return { ready: unmet.length === 0, unmet };
}

export interface Explanation {
  selector: string;
  busySelector: string;
  facts: PageFacts | null;
  network: NetworkState;
  /** ms since the page last answered, when it stopped answering. */
  unresponsiveForMs?: number;
  /** URLs Chromium was asked for by the page: a pending picture missing from it was never requested. */
  requested?: (url: string) => boolean;
  /** Why part of the element was never in view (whole-view.ts), when it was not. */
  unseen?: string;
}

const MAX_NAMED = 3;

/** A sentence per unmet condition, for SELECTOR_TIMEOUT: what was still unmet, and what exactly. */
export function describeUnmet(unmet: readonly Condition[], e: Explanation): string {
  const f = e.facts;
  const words: Record<Condition, () => string> = {
    selector: () => (f && !f.documentParsed ? 'the story document never finished loading' : `no visible element matches ${JSON.stringify(e.selector)}`),
    busy: () => `a busy indicator ${JSON.stringify(e.busySelector)} is still visible`,
    marks: () => `the story marks its own state, and ${f?.marks?.waiting ?? 'it never marked itself complete'}`,
    unseen: () => `part of the element was never in view (${e.unseen ?? 'it is larger than the viewport'})`,
    loader: () => `a loading animation is visible in the story (${named(f?.loaders ?? [])})`,
    fonts: () => 'web fonts were still loading',
    images: () => describeImages(f?.imagesPending ?? [], f?.imageNotes ?? {}, e.requested),
    animation: () => `an animation was still running (${named(f?.animations ?? [])})`,
    timers: () => `the page had ${f?.timersPending ?? 0} short timer(s) pending (a debounced query or a delayed draw)`,
    network: () => {
      const inFlight = e.network.inFlight;
      if (inFlight.length > 0) return `${inFlight.length} request${inFlight.length === 1 ? '' : 's'} in flight (${named(inFlight.map(describeRequest))})`;
      if ((f?.requestsPending ?? 0) > 0) return `the page was waiting for ${f?.requestsPending} answer(s) to its own requests`;
      return 'the network was not quiet (requests kept starting)';
    },
    quiet: () => `the element kept changing (last: ${f?.lastChange ?? 'unknown'}, ${Math.round(f?.quietForMs ?? 0)} ms before the timeout)`,
    unresponsive: () => `the page stopped responding: its main thread is busy without end (a script in an endless loop?)${e.unresponsiveForMs ? `, for the last ${seconds(e.unresponsiveForMs)}` : ''}`,
  };
  return unmet.map((c) => words[c]()).join('; ');
}

/** Pictures that Chromium never requested are named as such: no slow server to look for. */
function describeImages(pending: readonly string[], notes: Record<string, string>, requested?: (url: string) => boolean): string {
  const never = requested ? pending.filter((url) => !requested(url)) : [];
  const late = pending.filter((url) => !never.includes(url));
  const parts: string[] = [];
  if (late.length > 0) parts.push(`pictures had not arrived (${named(late)})`);
  if (never.length > 0) parts.push(`pictures were never requested by Chromium (${named(never.map((url) => `${url}: never requested${notes[url] ? `: ${notes[url]}` : ''}`))})`);
  return parts.join('; ');
}

export function describeRequest(r: InFlightRequest): string {
  return `${r.method} ${r.url}, ${seconds(r.ageMs)}`;
}

function named(items: readonly string[]): string {
  const shown = items.slice(0, MAX_NAMED).join(', ');
  return items.length > MAX_NAMED ? `${shown} and ${items.length - MAX_NAMED} more` : shown;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

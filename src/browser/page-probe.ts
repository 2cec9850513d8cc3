// The probe: observers installed in the story page at document start,
// before any of the page's own scripts, that notice what the page does
// rather than what it declares. They timestamp every change in or over the
// captured element (DOM and attribute mutations, canvas drawing in 2D and
// WebGL, fonts and pictures arriving, animations ending, the element's box
// moving), track pending short timers, and list running animations. The
// render engine asks `settle()`, which answers within a frame of the page
// becoming settled (or after a bounded wait) with the facts of readiness.ts.
//
// installProbe runs in the page: it must be self-contained (no imports, no
// closures over this module). It is sent as source text, together with
// pageUnmet, so both are judged by the same rules in the page and in tests.
import { createMotion, MOTION_OPTIONS, type Motion, type MotionOptions } from './page-motion.js';
import { pageUnmet, TIMER_CHAIN_BUDGET_MS, TIMER_MAX_DELAY_MS, type PageFacts, type QuietLimits } from './readiness.js';

export interface ProbeOptions {
  timerMaxDelayMs: number;
  timerChainBudgetMs: number;
  motion: MotionOptions;
}

/** What the probe watches: the job's element and busy indicators (told with each settle()). */
export interface ProbeTarget {
  selector: string;
  busySelector: string;
  /** Elements whose motion is never waited for (IGNORE_SELECTOR and the job's `ignore`, joined), or null. */
  ignore: string | null;
  /** Answer at once when the element is larger than the viewport: the render grows it (whole-view.ts). */
  growable: boolean;
}

/** Where the probe lives in the page (a global nobody else uses). */
export const PROBE_GLOBAL = '__courierProbe';

/**
 * Functions serialised into the page under esbuild-based runners (vitest,
 * tsx) reference esbuild's `__name` helper, which the page lacks; tsc
 * output never does. A no-op keeps both working.
 */
export const NAME_SHIM = "if (!('__name' in globalThis)) Object.defineProperty(globalThis, '__name', { value: (f) => f, configurable: true });";

/**
 * The script to install with evaluateOnNewDocument. It knows nothing of the
 * job (the selectors come with each settle()), so a page can be made ready
 * for it before its job is known.
 */
export function probeScript(): string {
  const options: ProbeOptions = { timerMaxDelayMs: TIMER_MAX_DELAY_MS, timerChainBudgetMs: TIMER_CHAIN_BUDGET_MS, motion: MOTION_OPTIONS };
  return `${NAME_SHIM}\n(${installProbe.toString()})(${JSON.stringify(options)}, ${JSON.stringify(PROBE_GLOBAL)}, ${pageUnmet.toString()}, ${createMotion.toString()});`;
}

export interface Probe {
  settle(target: ProbeTarget, quiet: QuietLimits, maxWaitMs: number, early?: QuietLimits): Promise<PageFacts>;
  /** Resets the decoration found at the last settle() to its start, for the capture; names what it did. */
  still(): string[];
}

/** Runs in the page. */
export function installProbe(
  options: ProbeOptions,
  globalName: string,
  unmet: (facts: PageFacts, quiet: QuietLimits) => string[],
  motionOf: (options: MotionOptions, draws: Map<unknown, number>, describe: (node: Node | null) => string, visible: (el: Element) => boolean) => Motion,
): void {
  // The story is the top document; frames inside it are part of its pixels but not probed.
  if (window !== window.top) return;
  const now = () => performance.now();
  const nativeSetTimeout = window.setTimeout.bind(window);
  const nativeClearTimeout = window.clearTimeout.bind(window);
  let lastChangeAt = now();
  let lastChange = 'the document started loading';
  // Every change counted: equal counts at two moments mean nothing changed in between.
  let changes = 0;
  // `node`: where the change came from (null: the page as a whole), so endless decoration can be told apart (page-motion.ts).
  const touch = (what: string, node: Node | null = null): void => {
    lastChangeAt = now();
    lastChange = what;
    changes += 1;
    motion?.note(node, what, lastChangeAt);
  };
  // Set once its helpers below exist; the observers that call touch() first run after that.
  let motion: Motion | null = null;
  // Frames produced since the last change, counted by settle()'s frame callbacks.
  let quietFrames = 0;
  let lastFrameAt = 0;

  // Until the first settle() says what the job captures, every change anywhere counts.
  let watched: ProbeTarget | null = null;
  const element = (): Element | null => (watched ? document.querySelector(watched.selector) : null);
  const describe = (node: Node | null): string => {
    if (!node) return 'the page';
    const el = node instanceof Element ? node : node.parentElement;
    if (!el) return 'the page';
    const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/)[0]}` : '';
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`;
  };
  /** A change there can change the element's pixels: inside it, on an ancestor, or in <head> (styles). */
  const affects = (node: Node, target: Element | null): boolean => {
    if (!target) return true;
    return target.contains(node) || node.contains(target) || (document.head?.contains(node) ?? false);
  };
  const visible = (el: Element): boolean => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };

  // A pending settle() looks again at once when the page sets a mark (data-render-complete, data-render-error):
  // a page that says it is done, or failed, is answered within a task, not at its next frame.
  let wake: (() => void) | null = null;
  const MARKS = ['data-render-complete', 'data-render-error', 'data-shared-items-count'];
  // DOM and attribute changes.
  new MutationObserver((records) => {
    const target = element();
    const changed = records.find((record) => affects(record.target, target));
    if (changed) touch(`DOM change in ${describe(changed.target)}`, changed.target);
    if (wake && records.some((r) => r.type === 'attributes' && MARKS.includes(r.attributeName ?? ''))) wake();
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });

  /** Replaces proto[name] by a function that runs `before` (given `this`), then the original. */
  const wrap = <T>(proto: object | undefined, name: string, before: (self: T) => ((result: unknown) => void) | void): void => {
    const original: unknown = proto ? (Object.getOwnPropertyDescriptor(proto, name)?.value as unknown) : undefined;
    if (!proto || typeof original !== 'function') return;
    Object.defineProperty(proto, name, {
      configurable: true,
      writable: true,
      value: function (this: T, ...args: unknown[]) {
        const after = before(this);
        const result: unknown = (original as (...a: unknown[]) => unknown).apply(this, args);
        after?.(result);
        return result;
      },
    });
  };

  // Canvas drawing: the last draw call per canvas (ECharts, Chart.js and WebGL charts draw every animation frame).
  const draws = new Map<unknown, number>();
  motion = motionOf(options.motion, draws, describe, visible);
  const instrument = (proto: object | undefined, methods: string[]): void => {
    for (const name of methods) wrap<{ canvas?: unknown }>(proto, name, (self) => void draws.set(self.canvas, now()));
  };
  instrument(window.CanvasRenderingContext2D?.prototype, ['fillRect', 'strokeRect', 'clearRect', 'fill', 'stroke', 'drawImage', 'fillText', 'strokeText', 'putImageData', 'reset']);
  const gl = ['drawArrays', 'drawElements', 'clear', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements'];
  instrument(window.WebGLRenderingContext?.prototype, gl);
  instrument(window.WebGL2RenderingContext?.prototype, gl);

  // Fonts and pictures arriving, animations ending: changes with no DOM mutation.
  document.fonts.addEventListener('loadingdone', () => touch('a web font finished loading'));
  const onEnd = (event: Event) => touch(`${event.type} on ${describe(event.target as Node)}`, event.target as Node);
  for (const type of ['transitionend', 'transitioncancel', 'animationend', 'animationcancel']) document.addEventListener(type, onEnd, true);
  document.addEventListener('load', (event) => {
    if (event.target instanceof HTMLImageElement) touch(`picture ${describe(event.target)} arrived`, event.target);
  }, true);

  // Short timers: the page's pending work (a debounce, "replace the spinner in 500 ms").
  const timers = new Map<number, number>(); // id → when its chain started
  let runningChainStart: number | null = null;
  window.setTimeout = function (handler: TimerHandler, delay?: number, ...args: unknown[]): number {
    if (typeof handler !== 'function' || Number(delay ?? 0) > options.timerMaxDelayMs) return nativeSetTimeout(handler, delay, ...args);
    const chainStart = runningChainStart ?? now();
    const id: number = nativeSetTimeout(function (this: unknown) {
      timers.delete(id);
      // What a pending timer does when it fires is the page's work too (it may start the next query).
      if (now() - chainStart <= options.timerChainBudgetMs) touch('a timer fired');
      const outer = runningChainStart;
      runningChainStart = chainStart;
      try {
        (handler as (...a: unknown[]) => void).apply(this, args);
      } finally {
        runningChainStart = outer;
      }
    }, delay);
    timers.set(id, chainStart);
    return id;
  } as typeof window.setTimeout;
  window.clearTimeout = function (id?: number): void {
    if (id !== undefined) timers.delete(id);
    nativeClearTimeout(id);
  } as typeof window.clearTimeout;

  // Requests the page's own scripts wait for, seen from inside: no race with Chromium's network events.
  let requestsPending = 0;
  const requestEnded = (): void => {
    requestsPending -= 1;
    touch('a request answered');
  };
  const awaited = (result: unknown): void => {
    requestsPending += 1;
    (result as Promise<unknown>).then(requestEnded, requestEnded);
  };
  wrap(window, 'fetch', () => awaited);
  // Reading an answer's body is part of waiting for it: the chart is drawn when the JSON is parsed.
  for (const method of ['json', 'text', 'arrayBuffer', 'blob', 'formData']) wrap(Response.prototype, method, () => awaited);
  wrap<XMLHttpRequest>(XMLHttpRequest.prototype, 'send', (xhr) => {
    requestsPending += 1;
    xhr.addEventListener('loadend', requestEnded, { once: true });
  });

  let lastBox = '';
  let lastView = '';
  /** The last change that counts for quiet (decoration and ignored motion left out: page-motion.ts). */
  let countedAt = 0;
  /** Per canvas, the last draw already noted as a change. */
  const noted = new Map<unknown, number>();
  /** Where a picture lies when that may be why Chromium never asked for it. */
  const whereIs = (img: HTMLImageElement): string | null => {
    const r = img.getBoundingClientRect();
    const lazy = img.loading === 'lazy' ? ', loading=lazy' : '';
    if (r.top >= window.innerHeight) return `below the fold${lazy}`;
    if (r.left >= window.innerWidth) return `right of the fold${lazy}`;
    return lazy ? lazy.slice(2) : null;
  };
  /** A picture its own scrolling box hides (a carousel's next slide) is not part of the picture. */
  const clippedAway = (el: Element, target: Element): boolean => {
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== target.parentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflow === 'visible') continue;
      const c = a.getBoundingClientRect();
      if (r.right <= c.left || r.left >= c.right || r.bottom <= c.top || r.top >= c.bottom) return true;
    }
    return false;
  };
  const renderMarks = (target: Element): PageFacts['marks'] => {
    const marks = Array.from(target.querySelectorAll('[data-render-complete]'));
    if (target.hasAttribute('data-render-complete')) marks.push(target);
    const containers = Array.from(target.querySelectorAll('[data-shared-items-count]'));
    if (target.hasAttribute('data-shared-items-count')) containers.push(target);
    if (marks.length === 0 && containers.length === 0) return null;
    const waiting: string[] = [];
    const open = marks.filter((m) => m.getAttribute('data-render-complete') !== 'true').length;
    if (open > 0) waiting.push(`${open} of ${marks.length} marked element(s) have not set data-render-complete="true"`);
    for (const c of containers) {
      const expected = Number(c.getAttribute('data-shared-items-count'));
      const items = c.querySelectorAll('[data-shared-item]').length;
      if (items < expected) waiting.push(`${items} of ${expected} shared items (data-shared-items-count on ${describe(c)}) are on the page`);
    }
    return { complete: waiting.length === 0, waiting: waiting.join('; ') };
  };
  const renderErrors = (): string[] =>
    Array.from(document.querySelectorAll('[data-render-error]'), (el) => {
      const said = el.getAttribute('data-render-error') ?? '';
      return (said && said !== 'true' ? said : (el.textContent ?? '').trim() || `data-render-error on ${describe(el)}`).slice(0, 300);
    });
  const facts = (): PageFacts => {
    const at = now();
    const target = element();
    let busyVisible = 0;
    for (const el of Array.from(document.querySelectorAll(watched?.busySelector ?? ':not(*)'))) if (visible(el)) busyVisible += 1;
    let loaders: string[] = [];
    let decoration: string[] = [];
    let animations: string[] = [];
    const imagesPending: string[] = [];
    const imageNotes: Record<string, string> = {};
    let clip: PageFacts['clip'] = null;
    let box: PageFacts['box'] = null;
    let marks: PageFacts['marks'] = null;
    let lastAt = lastChangeAt;
    let last = lastChange;
    const view = { width: window.innerWidth, height: window.innerHeight };
    if (target) {
      const rect = target.getBoundingClientRect();
      box = { x: rect.x + window.scrollX, y: rect.y + window.scrollY, width: rect.width, height: rect.height };
      const whole = window.scrollX === 0 && window.scrollY === 0 && rect.left >= 0 && rect.top >= 0 && rect.right <= view.width && rect.bottom <= view.height;
      if (whole && rect.width > 0 && rect.height > 0) clip = { x: rect.left, y: rect.top, width: rect.width, height: rect.height, scale: window.devicePixelRatio };
      const boxKey = [rect.x, rect.y, rect.width, rect.height].map(Math.round).join(',');
      if (boxKey !== lastBox) {
        if (lastBox) touch(`the element moved or resized (${boxKey})`);
        lastBox = boxKey;
      }
      // Growing the viewport (whole-view.ts) is a change too, so what it brings into view is waited for.
      const viewKey = `${view.width}×${view.height}`;
      if (viewKey !== lastView) {
        if (lastView) touch(`the viewport grew to ${viewKey}`);
        lastView = viewKey;
      }
      for (const [canvas, drawnAt] of draws) {
        if (drawnAt > (noted.get(canvas) ?? 0) && canvas instanceof Node && affects(canvas, target)) {
          noted.set(canvas, drawnAt);
          lastChangeAt = Math.max(lastChangeAt, drawnAt);
          lastChange = `canvas drawing in ${describe(canvas)}`;
          changes += 1;
          motion.note(canvas, lastChange, drawnAt);
        }
      }
      const judged = motion.judge(target, rect, watched?.ignore ?? null, at);
      ({ loaders, decoration, animations } = judged);
      [lastAt, last] = [judged.lastAt, judged.last];
      if (animations.length > 0) {
        [lastChangeAt, lastChange] = [at, animations[0]!];
        changes += 1;
      }
      for (const img of Array.from(target.querySelectorAll('img'))) {
        if (img.complete || !visible(img) || clippedAway(img, target)) continue;
        const url = img.currentSrc || img.src;
        imagesPending.push(url);
        const where = whereIs(img);
        if (where) imageNotes[url] = where;
      }
      marks = renderMarks(target);
    }
    countedAt = lastAt;
    let timersPending = 0;
    for (const chainStart of timers.values()) if (at - chainStart <= options.timerChainBudgetMs) timersPending += 1;
    return {
      at,
      documentParsed: document.readyState !== 'loading',
      selectorVisible: target !== null && visible(target),
      busyVisible,
      loaders,
      decoration,
      animations,
      fontsLoading: document.fonts.status === 'loading',
      imagesPending,
      imageNotes,
      timersPending,
      requestsPending,
      quietForMs: at - lastAt,
      quietFrames: lastAt > lastFrameAt ? 0 : quietFrames,
      lastChange: last,
      changes,
      clip,
      box,
      view,
      marks,
      renderErrors: renderErrors(),
    };
  };

  // `early`: also answer as soon as the page meets these laxer limits (see readiness-wait.ts).
  const settle = (target: ProbeTarget, quiet: QuietLimits, maxWaitMs: number, early?: QuietLimits): Promise<PageFacts> =>
    new Promise((resolve) => {
      watched = target;
      const started = now();
      let fallback = 0;
      let frame = 0;
      let answered = false;
      const check = (isFrame: boolean): void => {
        if (answered) return;
        nativeClearTimeout(fallback);
        const seen = facts();
        if (isFrame) {
          // A frame with no change since the previous one adds to the quiet count.
          quietFrames = countedAt > lastFrameAt ? 0 : quietFrames + 1;
          lastFrameAt = now();
          seen.quietFrames = quietFrames;
        }
        // Answer at once too when Node has to act: the story marked an error, or the element outgrew the viewport.
        const act = (seen.renderErrors?.length ?? 0) > 0 || (target.growable && seen.box != null && (seen.box.x + seen.box.width > seen.view!.width + 0.5 || seen.box.y + seen.box.height > seen.view!.height + 0.5));
        if (act || unmet(seen, quiet).length === 0 || (early && unmet(seen, early).length === 0) || now() - started >= maxWaitMs) {
          answered = true;
          wake = null;
          cancelAnimationFrame(frame);
          resolve(seen);
          return;
        }
        // After the next frame, or soon anyway if frames are not being produced (then nothing counts as quiet).
        // "After": a task queued from our frame callback runs once every callback of that frame has run, so a
        // change the page makes later in the same frame is seen before the frame is counted as quiet.
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => {
          nativeClearTimeout(fallback);
          nativeSetTimeout(() => check(true), 0);
        });
        fallback = nativeSetTimeout(() => {
          cancelAnimationFrame(frame);
          check(false);
        }, 50);
      };
      // Only marks wake it: a mark is never a frame, so the quiet count is left alone.
      wake = () => check(false);
      check(false);
    });

  const still = (): string[] => motion.still();
  Object.defineProperty(window, globalName, { value: Object.freeze({ settle, still }), configurable: false, enumerable: false });
}

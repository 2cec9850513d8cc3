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
import { pageUnmet, TIMER_CHAIN_BUDGET_MS, TIMER_MAX_DELAY_MS, type PageFacts, type QuietLimits } from './readiness.js';

export interface ProbeOptions {
  timerMaxDelayMs: number;
  timerChainBudgetMs: number;
}

/** What the probe watches: the job's element and busy indicators (told with each settle()). */
export interface ProbeTarget {
  selector: string;
  busySelector: string;
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
  const options: ProbeOptions = { timerMaxDelayMs: TIMER_MAX_DELAY_MS, timerChainBudgetMs: TIMER_CHAIN_BUDGET_MS };
  return `${NAME_SHIM}\n(${installProbe.toString()})(${JSON.stringify(options)}, ${JSON.stringify(PROBE_GLOBAL)}, ${pageUnmet.toString()});`;
}

export interface Probe {
  settle(target: ProbeTarget, quiet: QuietLimits, maxWaitMs: number, early?: QuietLimits): Promise<PageFacts>;
}

/** Runs in the page. */
export function installProbe(options: ProbeOptions, globalName: string, unmet: (facts: PageFacts, quiet: QuietLimits) => string[]): void {
  // The story is the top document; frames inside it are part of its pixels but not probed.
  if (window !== window.top) return;
  const now = () => performance.now();
  const nativeSetTimeout = window.setTimeout.bind(window);
  const nativeClearTimeout = window.clearTimeout.bind(window);
  let lastChangeAt = now();
  let lastChange = 'the document started loading';
  // Every change counted: equal counts at two moments mean nothing changed in between.
  let changes = 0;
  const touch = (what: string): void => {
    lastChangeAt = now();
    lastChange = what;
    changes += 1;
  };
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
  const overlaps = (node: Element, target: Element, box: DOMRect): boolean => {
    if (target.contains(node)) return true;
    const r = node.getBoundingClientRect();
    return r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
  };
  const visible = (el: Element): boolean => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };

  // DOM and attribute changes.
  new MutationObserver((records) => {
    const target = element();
    for (const record of records) {
      if (affects(record.target, target)) {
        touch(`DOM change in ${describe(record.target)}`);
        return;
      }
    }
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
  const instrument = (proto: object | undefined, methods: string[]): void => {
    for (const name of methods) wrap<{ canvas?: unknown }>(proto, name, (self) => void draws.set(self.canvas, now()));
  };
  instrument(window.CanvasRenderingContext2D?.prototype, ['fillRect', 'strokeRect', 'clearRect', 'fill', 'stroke', 'drawImage', 'fillText', 'strokeText', 'putImageData', 'reset']);
  const gl = ['drawArrays', 'drawElements', 'clear', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements'];
  instrument(window.WebGLRenderingContext?.prototype, gl);
  instrument(window.WebGL2RenderingContext?.prototype, gl);

  // Fonts and pictures arriving, animations ending: changes with no DOM mutation.
  document.fonts.addEventListener('loadingdone', () => touch('a web font finished loading'));
  const onEnd = (event: Event) => touch(`${event.type} on ${describe(event.target as Node)}`);
  for (const type of ['transitionend', 'transitioncancel', 'animationend', 'animationcancel']) document.addEventListener(type, onEnd, true);
  document.addEventListener('load', (event) => {
    if (event.target instanceof HTMLImageElement) touch(`picture ${describe(event.target)} arrived`);
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
  const facts = (): PageFacts => {
    const at = now();
    const target = element();
    let busyVisible = 0;
    for (const el of Array.from(document.querySelectorAll(watched?.busySelector ?? ':not(*)'))) if (visible(el)) busyVisible += 1;
    const loaders: string[] = [];
    const animations: string[] = [];
    const imagesPending: string[] = [];
    let clip: PageFacts['clip'] = null;
    if (target) {
      const box = target.getBoundingClientRect();
      const whole = window.scrollX === 0 && window.scrollY === 0 && box.left >= 0 && box.top >= 0 && box.right <= window.innerWidth && box.bottom <= window.innerHeight;
      if (whole && box.width > 0 && box.height > 0) clip = { x: box.left, y: box.top, width: box.width, height: box.height, scale: window.devicePixelRatio };
      const boxKey = [box.x, box.y, box.width, box.height].map(Math.round).join(',');
      if (boxKey !== lastBox) {
        if (lastBox) touch(`the element moved or resized (${boxKey})`);
        lastBox = boxKey;
      }
      for (const animation of document.getAnimations()) {
        if (animation.playState !== 'running') continue;
        const effect = animation.effect as KeyframeEffect | null;
        const node = effect?.target;
        if (!node || !overlaps(node, target, box) || !visible(node)) continue;
        const name = animation instanceof CSSAnimation ? `CSSAnimation ${animation.animationName}` : animation instanceof CSSTransition ? `CSSTransition ${animation.transitionProperty}` : 'animation';
        const what = `${name} on ${describe(node)}`;
        if (effect.getComputedTiming().iterations === Infinity) loaders.push(what);
        else {
          animations.push(what);
          touch(what);
        }
      }
      for (const smil of Array.from(target.querySelectorAll('animate, animateTransform, animateMotion'))) {
        if (smil.getAttribute('repeatCount') === 'indefinite' && smil.parentElement && visible(smil.parentElement)) loaders.push(`SVG <${smil.tagName}> on ${describe(smil.parentElement)}`);
      }
      for (const img of Array.from(target.querySelectorAll('img'))) {
        if (!img.complete && !(img.loading === 'lazy' && !visible(img))) imagesPending.push(img.currentSrc || img.src);
      }
      for (const [canvas, drawnAt] of draws) {
        if (drawnAt > lastChangeAt && canvas instanceof Node && affects(canvas, target)) {
          lastChangeAt = drawnAt;
          lastChange = `canvas drawing in ${describe(canvas)}`;
          changes += 1;
        }
      }
    }
    let timersPending = 0;
    for (const chainStart of timers.values()) if (at - chainStart <= options.timerChainBudgetMs) timersPending += 1;
    return {
      at,
      documentParsed: document.readyState !== 'loading',
      selectorVisible: target !== null && visible(target),
      busyVisible,
      loaders,
      animations,
      fontsLoading: document.fonts.status === 'loading',
      imagesPending,
      timersPending,
      requestsPending,
      quietForMs: at - lastChangeAt,
      quietFrames: lastChangeAt > lastFrameAt ? 0 : quietFrames,
      lastChange,
      changes,
      clip,
    };
  };

  // `early`: also answer as soon as the page meets these laxer limits (see readiness-wait.ts).
  const settle = (target: ProbeTarget, quiet: QuietLimits, maxWaitMs: number, early?: QuietLimits): Promise<PageFacts> =>
    new Promise((resolve) => {
      watched = target;
      const started = now();
      let fallback = 0;
      const check = (isFrame: boolean): void => {
        nativeClearTimeout(fallback);
        const seen = facts();
        if (isFrame) {
          // A frame with no change since the previous one adds to the quiet count.
          quietFrames = lastChangeAt > lastFrameAt ? 0 : quietFrames + 1;
          lastFrameAt = now();
          seen.quietFrames = quietFrames;
        }
        if (unmet(seen, quiet).length === 0 || (early && unmet(seen, early).length === 0) || now() - started >= maxWaitMs) {
          resolve(seen);
          return;
        }
        // After the next frame, or soon anyway if frames are not being produced (then nothing counts as quiet).
        // "After": a task queued from our frame callback runs once every callback of that frame has run, so a
        // change the page makes later in the same frame is seen before the frame is counted as quiet.
        const frame = requestAnimationFrame(() => {
          nativeClearTimeout(fallback);
          nativeSetTimeout(() => check(true), 0);
        });
        fallback = nativeSetTimeout(() => {
          cancelAnimationFrame(frame);
          check(false);
        }, 50);
      };
      check(false);
    });

  Object.defineProperty(window, globalName, { value: Object.freeze({ settle }), configurable: false, enumerable: false });
}

// Decoration is not a loader. Inside the page, beside the probe: every
// change the probe sees is noted here by the element it came from, so that
// endless motion can be told apart from a story still loading.
//
// An endless motion is either declared (a CSS animation or Web Animation
// with infinite iterations, an SVG <animate repeatCount="indefinite">) or
// driven by script (a looping Lottie, a canvas drawn every frame): a small
// region that has kept changing, frame after frame, for ENDLESS_MS while it
// was looked at. Each is judged from what the page shows:
//
//   ignored     it is in an element matching IGNORE_SELECTOR or the job's
//               `ignore`: never waited for;
//   loader      it turns (a spinner); or it has no content of its own and
//               is larger than a dot (a CSS spinner, a skeleton block, a
//               progress bar); or nothing drawn lies under it or within
//               NEAR_PX of it (alone in an empty panel);
//   decoration  otherwise: it has content of its own (a "LIVE" badge, a
//               ticker's text, a Lottie's shapes) or is a dot, and stands
//               beside or over drawn content (text, a drawn canvas, an SVG
//               shape, a picture).
//
// Decoration and ignored motion do not hold readiness (they are not
// changes), are named in the job's log and result, and declared ones are
// reset to their start for the capture (as Playwright does for screenshots).
//
// createMotion runs in the page: self-contained, sent as source text.

export interface MotionOptions {
  /** How long script-driven motion must go on before it counts as endless. */
  endlessMs: number;
  /** A pause longer than this ends a run of changes. */
  runGapMs: number;
  /** Up to this size (CSS px, both sides) a content-less motion is a dot ("live" indicator), not a placeholder. */
  dotPx: number;
  /** How near drawn content must be for a motion to stand beside it. */
  nearPx: number;
  /** Script-driven motion larger than this (CSS px²) is a chart animating, not decoration. */
  maxScriptArea: number;
}

export const MOTION_OPTIONS: MotionOptions = { endlessMs: 1_500, runGapMs: 300, dotPx: 12, nearPx: 16, maxScriptArea: 320 * 320 };

export interface MotionVerdict {
  /** Endless motion that looks like loading. */
  loaders: string[];
  /** Endless motion that is decoration or ignored, with why. */
  decoration: string[];
  /** Finite animations and transitions running over the element (not ignored). */
  animations: string[];
  /** The last change that counts (decoration and ignored motion left out), and what it was. */
  lastAt: number;
  last: string;
}

export interface Motion {
  /** A change at `at`, caused by `node` (null: the page as a whole: a font, a request, a timer). */
  note(node: Node | null, what: string, at: number): void;
  judge(target: Element, box: DOMRect, ignore: string | null, at: number): MotionVerdict;
  /** Resets the declared decoration of the last judge() to its start; names what it reset. */
  still(): string[];
}

/** Runs in the page. `draws`: the last draw call per canvas (the probe's), so a drawn canvas counts as content. */
export function createMotion(options: MotionOptions, draws: Map<unknown, number>, describe: (node: Node | null) => string, visible: (el: Element) => boolean): Motion {
  interface Run {
    first: number;
    last: number;
    what: string;
  }
  // Changes by their root: the outermost <svg> of an SVG node (a Lottie's hundred paths are one motion), else the element.
  const runs = new Map<Element, Run>();
  let globalAt = 0;
  let globalWhat = 'the document started loading';
  let prunedAt = 0;
  let prunedWhat = '';
  let stillable: (() => void)[] = [];

  const rootOf = (node: Node): Element | null => {
    let el = node instanceof Element ? node : node.parentElement;
    while (el instanceof SVGElement && el.ownerSVGElement) el = el.ownerSVGElement;
    return el;
  };

  const note = (node: Node | null, what: string, at: number): void => {
    const root = node ? rootOf(node) : null;
    if (!root) {
      globalAt = at;
      globalWhat = what;
      return;
    }
    const run = runs.get(root);
    if (run && at - run.last <= options.runGapMs) {
      run.last = at;
      run.what = what;
    } else runs.set(root, { first: at, last: at, what });
    if (runs.size > 500) {
      // Keep the map small: old runs only matter as "the last change" if nothing came after them.
      for (const [el, r] of runs) {
        if (at - r.last > 2_000) {
          if (r.last > prunedAt) [prunedAt, prunedWhat] = [r.last, r.what];
          runs.delete(el);
        }
      }
    }
  };

  const SHAPES = 'img, canvas, video, path, circle, rect, ellipse, line, polyline, polygon, text, use, image';
  const hasOwnContent = (el: Element): boolean => (el.textContent ?? '').trim() !== '' || el.matches(SHAPES) || el.querySelector(SHAPES) !== null;
  const isDot = (r: DOMRect): boolean => r.width <= options.dotPx && r.height <= options.dotPx;
  const turns = (animation: Animation): boolean => {
    if (animation.effect instanceof KeyframeEffect) {
      return animation.effect.getKeyframes().some((k) => /rotate/.test(String(k.transform ?? '')) || (k.rotate !== undefined && !/^(none|0\w*)$/.test(String(k.rotate))));
    }
    return false;
  };
  const near = (a: DOMRect, b: DOMRect, by: number): boolean => b.right > a.left - by && b.left < a.right + by && b.bottom > a.top - by && b.top < a.bottom + by;
  /** Drawn content of the element under `mover` or within nearPx of it, movers left out. */
  const drawnNear = (mover: Element, r: DOMRect, target: Element, movers: Element[]): boolean => {
    const d = options.nearPx;
    const xs = [r.left - d, r.left + r.width / 4, r.left + r.width / 2, r.left + (3 * r.width) / 4, r.right + d];
    const ys = [r.top - d, r.top + r.height / 2, r.bottom + d];
    const seen = new Set<Element>();
    for (const x of xs) {
      for (const y of ys) {
        for (const e of document.elementsFromPoint(x, y)) {
          if (seen.has(e) || !target.contains(e)) continue;
          seen.add(e);
          if (mover.contains(e) || movers.some((m) => m !== mover && m.contains(e))) continue;
          const drawn =
            (e instanceof HTMLImageElement && e.complete && e.naturalWidth > 0) ||
            (e instanceof HTMLCanvasElement && draws.has(e)) ||
            (e instanceof SVGGeometryElement && !e.closest('defs, clipPath, mask')) ||
            e instanceof SVGTextContentElement;
          if (drawn) return true;
          // Text written directly in it (a title beside a badge), by the glyphs' own boxes.
          for (const child of Array.from(e.childNodes)) {
            if (child.nodeType !== Node.TEXT_NODE || (child.textContent ?? '').trim() === '') continue;
            const range = document.createRange();
            range.selectNodeContents(child);
            if (Array.from(range.getClientRects()).some((t) => near(r, t, options.nearPx))) return true;
          }
        }
      }
    }
    return false;
  };
  const matches = (el: Element, ignore: string | null): boolean => {
    if (!ignore) return false;
    try {
      return el.closest(ignore) !== null;
    } catch {
      return false; // an invalid selector was refused before the page opened; nothing matches it here
    }
  };
  const overlaps = (el: Element, target: Element, box: DOMRect): boolean => {
    if (target.contains(el)) return true;
    const r = el.getBoundingClientRect();
    return r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
  };

  const judge = (target: Element, box: DOMRect, ignore: string | null, at: number): MotionVerdict => {
    const loaders: string[] = [];
    const decoration: string[] = [];
    const animations: string[] = [];
    const nextStill: (() => void)[] = [];
    const excluded = new Set<Element>();
    // Declared endless motion, and finite animations.
    const declared: { node: Element; what: string; animation?: Animation; smil?: SVGSVGElement | null }[] = [];
    for (const animation of document.getAnimations()) {
      if (animation.playState !== 'running') continue;
      const effect = animation.effect as KeyframeEffect | null;
      const node = effect?.target;
      if (!node || !overlaps(node, target, box) || !visible(node)) continue;
      const name = animation instanceof CSSAnimation ? `CSSAnimation ${animation.animationName}` : animation instanceof CSSTransition ? `CSSTransition ${animation.transitionProperty}` : 'animation';
      const what = `${name} on ${describe(node)}`;
      if (effect.getComputedTiming().iterations === Infinity) declared.push({ node, what, animation });
      else if (!matches(node, ignore)) {
        animations.push(what);
        note(node, what, at);
      }
    }
    for (const smil of Array.from(target.querySelectorAll('animate, animateTransform, animateMotion'))) {
      const parent = smil.parentElement;
      if (smil.getAttribute('repeatCount') === 'indefinite' && parent && visible(parent)) {
        const what = `SVG <${smil.tagName}> on ${describe(parent)}`;
        declared.push({ node: parent, what, smil: parent instanceof SVGElement ? parent.ownerSVGElement : null });
      }
    }
    const movers = declared.map((m) => m.node);
    const judgeOne = (node: Element, what: string, turning: boolean): 'decoration' | 'loader' => {
      if (matches(node, ignore)) {
        decoration.push(`${what} (ignored: it matches the ignore list)`);
        return 'decoration';
      }
      const r = node.getBoundingClientRect();
      if (turning || (!hasOwnContent(node) && !isDot(r)) || !drawnNear(node, r, target, movers)) {
        loaders.push(what);
        return 'loader';
      }
      decoration.push(`${what} (decoration: beside drawn content)`);
      return 'decoration';
    };
    for (const m of declared) {
      const turning = m.animation ? turns(m.animation) : /rotate/.test(m.node.querySelector('animateTransform')?.getAttribute('type') ?? '');
      if (judgeOne(m.node, m.what, turning) === 'decoration') {
        const { animation, smil } = m;
        if (animation) nextStill.push(() => animation.cancel());
        else if (smil) nextStill.push(() => {
          smil.pauseAnimations();
          smil.setCurrentTime(0);
        });
      }
    }
    // Script-driven motion: small, changing for ENDLESS_MS without a pause, still changing now.
    let lastAt = Math.max(globalAt, prunedAt);
    let last = globalAt >= prunedAt ? globalWhat : prunedWhat;
    const targetArea = box.width * box.height;
    for (const [el, run] of runs) {
      if (!el.isConnected) continue;
      let counts = !matches(el, ignore);
      if (!counts) excluded.add(el);
      else if (at - run.last <= options.runGapMs && run.last - run.first >= options.endlessMs) {
        const r = el.getBoundingClientRect();
        const area = r.width * r.height;
        if (area <= options.maxScriptArea && area <= targetArea / 4) counts = judgeOne(el, `endless drawing in ${describe(el)}`, false) === 'loader';
      }
      if (counts && run.last > lastAt) [lastAt, last] = [run.last, run.what];
    }
    stillable = nextStill;
    return { loaders: [...new Set(loaders)], decoration: [...new Set(decoration)], animations, lastAt, last };
  };

  const still = (): string[] => {
    const done = stillable.length;
    for (const reset of stillable) reset();
    stillable = [];
    return done > 0 ? [`${done} declared animation(s) reset to their start`] : [];
  };

  return { note, judge, still };
}

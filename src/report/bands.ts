// A story taller than a PDF page, laid over as many pages as it needs.
// Pure: the story's size and the boxes a break must not cut
// (story-shape.ts, in CSS px) in, the bands each page shows and where they
// go out.
//
// A story is drawn at the width of the page's body (never past
// MAX_UPSCALE, nor past a raster's crisp size). When it is then taller than
// the body, it may shrink a little to stay on one page (KEEP_WHOLE_SHRINK);
// beyond that it is cut into bands, one per page, each under the report's
// header and above its footer. Shrinking a Home of 4,000 px onto one page
// would print its 12 px labels at 1.5 pt: nobody could read it.
//
// Where a band ends: as low on the page as possible, never through a block
// that would fit on one page (a chart, a panel, a line of text), and in the
// middle of the gutter between two blocks, so that a panel's border is not
// shaved. When blocks overlap so that no such place exists within a page
// (absolutely positioned panels, chained), the break cuts the least it can:
// a line of text before a panel, a panel before a chart.
import { fitStory, MAX_UPSCALE, PT_PER_CSS_PX, type Box } from './layout.js';
import type { BlockKind, StoryBlock } from './story-shape.js';

/** A story may shrink by up to this factor under its width-fitting size to stay on one page; beyond, it is cut into bands. */
export const KEEP_WHOLE_SHRINK = 0.85;
/** Half a CSS px: edges closer than this are the same line. */
const EPS = 0.5;
/** What a break costs by the kind of block it cuts. */
const WEIGHT: Record<BlockKind, number> = { text: 1, panel: 2, chart: 3 };

export interface Band {
  /** CSS px from the story's top. */
  top: number;
  bottom: number;
}

export interface PlacedBand extends Band {
  /** Where the band is drawn on its page (points). */
  box: Box;
}

export interface StoryPlan {
  /** Points per CSS px of the story as drawn. */
  ptPerPx: number;
  /** One per PDF page, in order. */
  bands: PlacedBand[];
}

export interface StoryMeasure {
  /** CSS px. */
  width: number;
  height: number;
  blocks?: readonly StoryBlock[];
}

/** How a story of `shape` is drawn in `body`: one page, or bands over several. */
export function planStory(shape: StoryMeasure, body: Box, maxScale = MAX_UPSCALE): StoryPlan {
  const natural = { width: shape.width * PT_PER_CSS_PX, height: shape.height * PT_PER_CSS_PX };
  if (natural.width <= 0 || natural.height <= 0) return { ptPerPx: 0, bands: [{ top: 0, bottom: 0, box: fitStory(natural, body, maxScale) }] };
  const widthScale = Math.min(body.width / natural.width, maxScale);
  const wholeScale = Math.min(widthScale, body.height / natural.height);
  if (wholeScale >= KEEP_WHOLE_SHRINK * widthScale) {
    const box = fitStory(natural, body, maxScale);
    return { ptPerPx: box.width / shape.width, bands: [{ top: 0, bottom: shape.height, box }] };
  }
  const ptPerPx = PT_PER_CSS_PX * widthScale;
  const width = shape.width * ptPerPx;
  const x = body.x + (body.width - width) / 2;
  const top = body.y + body.height;
  const bands = breakStory(shape.height, body.height / ptPerPx, shape.blocks ?? []).map((band) => {
    const height = (band.bottom - band.top) * ptPerPx;
    return { ...band, box: { x, y: top - height, width, height } };
  });
  return { ptPerPx, bands };
}

/**
 * Cuts a story of `height` into bands no taller than `capacity` (both CSS
 * px), each ending between blocks (see the file's header).
 */
export function breakStory(height: number, capacity: number, blocks: readonly StoryBlock[]): Band[] {
  if (capacity <= 0) throw new RangeError(`a page holds a positive height of story, not ${capacity}`);
  // A block taller than a page is cut anyway: only what could be kept whole counts.
  const keepable = blocks.filter((b) => b.bottom - b.top > 0 && b.bottom - b.top <= capacity);
  // A band with nothing drawn in it (the story's padding before a block that goes to the next page, or after its last) is left out: no blank pages.
  const empty = (top: number, bottom: number) => blocks.length > 0 && !blocks.some((b) => b.top < bottom - EPS && b.bottom > top + EPS);
  const bands: Band[] = [];
  let start = 0;
  while (height - start > capacity + EPS) {
    const end = nextBreak(start, start + capacity, keepable);
    if (!empty(start, end)) bands.push({ top: start, bottom: end });
    start = end;
  }
  if (!empty(start, height) || bands.length === 0) bands.push({ top: start, bottom: height });
  return bands;
}

/** Where the band that starts at `start` ends, at most at `limit`. */
function nextBreak(start: number, limit: number, blocks: readonly StoryBlock[]): number {
  // The blocks of this page, and of the next one: they say where the gutter at the limit ends.
  const near = blocks.filter((b) => b.bottom > start + EPS && b.top < limit + (limit - start));
  const cost = (y: number) => near.reduce((worst, b) => (b.top < y - EPS && b.bottom > y + EPS ? Math.max(worst, WEIGHT[b.kind]) : worst), 0);
  let best = { y: limit, cost: cost(limit) };
  for (const b of near) {
    for (const y of [b.top, b.bottom]) {
      if (y <= start + EPS || y > limit) continue;
      const c = cost(y);
      if (c < best.cost || (c === best.cost && y > best.y)) best = { y, cost: c };
    }
  }
  if (best.cost > 0) return best.y;
  // A clean break: in the middle of its gutter, between the last block above it and the first below.
  const above = Math.max(start, ...near.filter((b) => b.bottom <= best.y + EPS).map((b) => b.bottom));
  const below = Math.min(...near.filter((b) => b.top >= best.y - EPS).map((b) => b.top));
  if (!Number.isFinite(below)) return best.y;
  const middle = Math.min(limit, (above + below) / 2);
  return middle > start + EPS && cost(middle) === 0 ? middle : best.y;
}

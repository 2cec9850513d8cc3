// Layout math of a report, in PDF points (1/72 in, origin at the bottom
// left). Pure: sizes in, boxes out; text is measured by a function passed in,
// so the rules are tested without fonts or pdf-lib.
import type { ReportLayout } from '../contracts/pdf-report.js';

export interface Size {
  width: number;
  height: number;
}

export interface Box extends Size {
  x: number;
  y: number;
}

/** Width of `text` at font size `size`, in points. */
export type Measure = (text: string, size: number) => number;

/** ISO 216 A4 and US Letter, portrait, in points. */
const PAGE_SIZES: Record<ReportLayout['format'], Size> = {
  A4: { width: 595.28, height: 841.89 },
  Letter: { width: 612, height: 792 },
};

export function pageSize(layout: Pick<ReportLayout, 'format' | 'landscape'>): Size {
  const { width, height } = PAGE_SIZES[layout.format];
  return layout.landscape ? { width: height, height: width } : { width, height };
}

/** CSS defines 96 px per inch; PDF 72 pt: a story drawn at its on-screen size uses 0.75 pt per CSS px. */
export const PT_PER_CSS_PX = 0.75;
/**
 * How much a story may grow beyond its on-screen size to fill the page. A
 * small KPI card blown up to a whole page looks like a mistake, and a raster
 * would blur; a quarter more still reads as "the same story, printed".
 */
export const MAX_UPSCALE = 1.25;
/** Below this many image pixels per inch a printed raster looks soft. */
export const MIN_RASTER_DPI = 150;

export const TYPE = {
  /** Story page title. */
  pageTitle: 15,
  /** Small app at the top right of story pages, footer text. */
  small: 8.5,
  coverApp: 11,
  coverTitle: 30,
  coverTitleMin: 20,
  coverDate: 11,
  contentsLabel: 9,
  contentsRow: 10.5,
} as const;

/** Ink, greys and one restrained accent (a deep teal: distinct from a chart's colours, prints well in greyscale). */
export const COLORS = {
  ink: [0x1d, 0x24, 0x33],
  muted: [0x5b, 0x64, 0x75],
  faint: [0xd9, 0xdd, 0xe4],
  accent: [0x0f, 0x6e, 0x6a],
} as const satisfies Record<string, readonly [number, number, number]>;

export interface StoryFrame {
  marginX: number;
  /** Baseline of the story's title. */
  titleBaseline: number;
  /** Hairline under the header. */
  headerRuleY: number;
  /** Where the story goes. */
  body: Box;
  footerBaseline: number;
  footerRuleY: number;
}

/** The fixed parts of a story page: a header with the title, the story, a footer with the page number. */
export function storyFrame(page: Size): StoryFrame {
  const marginX = page.width > page.height ? 40 : 36;
  const top = page.height - 34;
  const titleBaseline = top - TYPE.pageTitle * 0.8;
  const headerRuleY = titleBaseline - 10;
  const footerBaseline = 22;
  const footerRuleY = footerBaseline + TYPE.small + 5;
  const bodyTop = headerRuleY - 16;
  const bodyBottom = footerRuleY + 14;
  return {
    marginX,
    titleBaseline,
    headerRuleY,
    footerBaseline,
    footerRuleY,
    body: { x: marginX, y: bodyBottom, width: page.width - 2 * marginX, height: bodyTop - bodyBottom },
  };
}

/**
 * A story is centred, except that it never floats further than this under
 * its header: a wide chart on a portrait page then sits under its title like
 * a figure in a document, instead of alone in the middle of the sheet.
 */
export const MAX_GAP_UNDER_HEADER = 36;

/**
 * Where a story of `natural` size (points, at its on-screen size) is drawn
 * inside `body`: as large as fits, aspect ratio kept, centred, never beyond
 * `maxScale` times its natural size.
 */
export function fitStory(natural: Size, body: Box, maxScale = MAX_UPSCALE): Box {
  if (natural.width <= 0 || natural.height <= 0) return { x: body.x + body.width / 2, y: body.y + body.height, width: 0, height: 0 };
  const scale = Math.min(body.width / natural.width, body.height / natural.height, maxScale);
  const width = natural.width * scale;
  const height = natural.height * scale;
  const above = Math.min((body.height - height) / 2, MAX_GAP_UNDER_HEADER);
  return { x: body.x + (body.width - width) / 2, y: body.y + body.height - above - height, width, height };
}

/** The largest upscale a raster of `pixelWidth` can take before it prints below MIN_RASTER_DPI. */
export function rasterMaxScale(pixelWidth: number, naturalWidthPt: number): number {
  if (naturalWidthPt <= 0) return MAX_UPSCALE;
  const crispWidthPt = (pixelWidth / MIN_RASTER_DPI) * 72;
  return Math.min(MAX_UPSCALE, crispWidthPt / naturalWidthPt);
}

export interface CoverFrame {
  /** Left edge and width of the title block (small app, title, date). */
  titleX: number;
  titleWidth: number;
  /** Top of the title block. */
  titleTop: number;
  /** The contents list on the cover itself (its top is where the first row starts). */
  contents: Box;
  /** The contents list on a continuation page, when the list is long. */
  contentsContinued: Box;
  rowHeight: number;
  footerBaseline: number;
}

const COVER_ROW_HEIGHT = 19;
/** Room above a contents list for its label. */
const CONTENTS_LABEL_HEIGHT = 26;

/**
 * The cover. Landscape: the title block on the left, the contents on the
 * right, both hanging from the same top line. Portrait: the contents start
 * under the title block, whose height (`titleBlockHeight`, see
 * layoutTitleBlock) depends on how the title wraps.
 */
export function coverFrame(page: Size, titleBlockHeight = 0): CoverFrame {
  const landscape = page.width > page.height;
  const margin = landscape ? 56 : 60;
  const top = page.height - margin - 24;
  const bottom = margin + 8;
  const rowHeight = COVER_ROW_HEIGHT;
  if (landscape) {
    const gutter = 48;
    const titleWidth = (page.width - 2 * margin - gutter) * 0.46;
    const contentsX = margin + titleWidth + gutter;
    const contents = { x: contentsX, y: bottom, width: page.width - margin - contentsX, height: top - CONTENTS_LABEL_HEIGHT - bottom };
    return { titleX: margin, titleWidth, titleTop: top, contents, contentsContinued: contents, rowHeight, footerBaseline: 28 };
  }
  const width = page.width - 2 * margin;
  const contentsTop = top - titleBlockHeight - 56 - CONTENTS_LABEL_HEIGHT;
  return {
    titleX: margin,
    titleWidth: width,
    titleTop: top,
    contents: { x: margin, y: bottom, width, height: contentsTop - bottom },
    contentsContinued: { x: margin, y: bottom, width, height: top - CONTENTS_LABEL_HEIGHT - bottom },
    rowHeight,
    footerBaseline: 28,
  };
}

export interface TitleBlock {
  /** Bottom of the short accent bar above everything. */
  accentY: number;
  appBaseline: number | null;
  titleSize: number;
  titleBaselines: number[];
  dateBaselines: number[];
  /** Distance from the block's top to its last baseline. */
  height: number;
}

/** Baselines of the cover's title block, from its top down: accent bar, small app, title lines, date lines. */
export function layoutTitleBlock(top: number, parts: { hasApp: boolean; titleSize: number; titleLines: number; dateLines: number }): TitleBlock {
  const accentY = top + 2;
  let y = top - 18;
  let appBaseline: number | null = null;
  if (parts.hasApp) {
    appBaseline = y;
    y -= TYPE.coverApp + 12;
  }
  const titleBaselines: number[] = [];
  for (let i = 0; i < parts.titleLines; i++) {
    y -= parts.titleSize * 0.95;
    titleBaselines.push(y);
    y -= parts.titleSize * 0.27;
  }
  y -= 16;
  const dateBaselines: number[] = [];
  for (let i = 0; i < parts.dateLines; i++) {
    y -= TYPE.coverDate;
    dateBaselines.push(y);
    y -= 5;
  }
  const last = dateBaselines[dateBaselines.length - 1] ?? titleBaselines[titleBaselines.length - 1] ?? top;
  return { accentY, appBaseline, titleSize: parts.titleSize, titleBaselines, dateBaselines, height: top - last };
}

/**
 * How many contents rows go on each cover page: as many as fit on the cover,
 * then continuation pages. Always at least one page.
 */
export function paginateContents(entries: number, frame: CoverFrame): number[] {
  const first = Math.max(1, Math.floor(frame.contents.height / frame.rowHeight));
  const next = Math.max(1, Math.floor(frame.contentsContinued.height / frame.rowHeight));
  const pages = [Math.min(entries, first)];
  for (let left = entries - first; left > 0; left -= next) pages.push(Math.min(left, next));
  return pages;
}

const ELLIPSIS = '…';

/** Code points, so a cut never splits a surrogate pair. */
function codePoints(text: string): string[] {
  return Array.from(text);
}

/** `text` cut to `maxWidth` with an ellipsis when it is longer. */
export function ellipsize(text: string, maxWidth: number, size: number, measure: Measure): string {
  if (measure(text, size) <= maxWidth) return text;
  const chars = codePoints(text);
  let low = 0;
  let high = chars.length;
  // Longest prefix that fits with the ellipsis (binary search: titles are short but measuring is not free).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(chars.slice(0, mid).join('').trimEnd() + ELLIPSIS, size) <= maxWidth) low = mid;
    else high = mid - 1;
  }
  return chars.slice(0, low).join('').trimEnd() + ELLIPSIS;
}

/**
 * Lines of `text` no wider than `maxWidth`: breaks at spaces, and inside a
 * word only when it alone is too wide (CJK titles have no spaces). The last
 * allowed line ends with an ellipsis when text is left over.
 */
export function wrapText(text: string, maxWidth: number, size: number, measure: Measure, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (value: string) => {
    lines.push(value);
  };
  const words: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (word.length === 0) continue;
    // A dash or a separator never starts a line: it stays with the word before it.
    if (words.length > 0 && /^[\p{Pd}:;·|/]+$/u.test(word)) words[words.length - 1] += ` ${word}`;
    else words.push(word);
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const candidate = line ? `${line} ${word}` : word;
    if (measure(candidate, size) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line) {
      push(line);
      line = '';
    }
    // The word alone: split it by characters when it is wider than a line.
    let rest = word;
    while (measure(rest, size) > maxWidth) {
      const chars = codePoints(rest);
      let fit = 1;
      while (fit < chars.length && measure(chars.slice(0, fit + 1).join(''), size) <= maxWidth) fit++;
      push(chars.slice(0, fit).join(''));
      rest = chars.slice(fit).join('');
    }
    line = rest;
  }
  if (line) push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = `${kept[maxLines - 1] ?? ''} ${lines.slice(maxLines).join(' ')}`;
  kept[maxLines - 1] = ellipsize(last, maxWidth, size, measure);
  return kept;
}

/**
 * The cover title's size and lines: the full size when it fits in three
 * lines, smaller sizes down to a floor, then cut with an ellipsis.
 */
export function fitTitle(text: string, maxWidth: number, measure: Measure): { size: number; lines: string[] } {
  for (let size: number = TYPE.coverTitle; size >= TYPE.coverTitleMin; size -= 2) {
    const lines = wrapText(text, maxWidth, size, measure, Number.MAX_SAFE_INTEGER);
    if (lines.length <= 3) return { size, lines };
  }
  return { size: TYPE.coverTitleMin, lines: wrapText(text, maxWidth, TYPE.coverTitleMin, measure, 4) };
}

// One story of a report: which capture is drawn (the one the page chose
// before capturing, or the PNG when its PDF turns out unusable), how it is
// laid over pages (bands.ts), and the drawing of each band, clipped to its
// box. The capture is embedded once and drawn on each of its pages: a tall
// story's pixels or paths are in the file once, not once per page.
import { clip, endPath, PDFDocument, popGraphicsState, pushGraphicsState, rectangle, type PDFEmbeddedPage, type PDFPage } from 'pdf-lib';
import { planStory, type PlacedBand, type StoryMeasure, type StoryPlan } from './bands.js';
import { PT_PER_CSS_PX, rasterMaxScale, type Box } from './layout.js';
import { canPassThrough, drawImageRef, embedPngPassThrough, readPng } from './png.js';
import type { PageChoice, ReportPageInput } from './types.js';

export interface PlannedStory {
  title: string;
  choice: PageChoice;
  reason: string;
  shape: StoryMeasure;
  plan: StoryPlan;
}

/** Draws one band of the story on a page. */
export type BandPainter = (page: PDFPage, band: PlacedBand) => Promise<void>;

/**
 * Wraps the drawing of one band in its tags (tags.ts): `vector` is the
 * capture and this band's own embedding of it when the story is vector.
 */
export type BandTagger = (page: PDFPage, band: PlacedBand, draw: () => void, vector?: { source: PDFDocument; embedded: PDFEmbeddedPage }) => void;

/** The vector capture, when it is one readable page; null otherwise. */
async function loadVector(input: ReportPageInput): Promise<PDFDocument | null> {
  if (!input.pdf) return null;
  try {
    const doc = await PDFDocument.load(input.pdf, { updateMetadata: false });
    return doc.getPageCount() === 1 ? doc : null;
  } catch {
    return null;
  }
}

/** Vector or raster, and why: the capture given, unless a PDF is unreadable or not one page (a story would be cut) and a PNG is there. */
function settle(input: ReportPageInput, vector: PDFDocument | null): { choice: PageChoice; reason: string } {
  if (vector) return { choice: 'vector', reason: input.chosen ?? (input.png ? 'vector (both captures given)' : 'no raster capture') };
  if (!input.png) {
    throw new Error(input.pdf ? 'the vector capture is unreadable or not one page, and there is no PNG' : 'a report page needs a PDF or a PNG capture');
  }
  if (!input.pdf) return { choice: 'raster', reason: input.chosen ?? 'no vector capture' };
  return { choice: 'raster', reason: 'the vector capture is unreadable or not one page (the story would be cut): the PNG is drawn' };
}

/** The story's size in CSS px: as surveyed, else the capture's own. */
function measure(input: ReportPageInput, choice: PageChoice, vector: PDFDocument | null): StoryMeasure {
  if (input.shape) return input.shape;
  if (choice === 'raster' && input.png) {
    const dsf = input.png.deviceScaleFactor ?? 2;
    return { width: input.png.width / dsf, height: input.png.height / dsf };
  }
  const size = vector?.getPage(0).getSize() ?? { width: 0, height: 0 };
  return { width: size.width / PT_PER_CSS_PX, height: size.height / PT_PER_CSS_PX };
}

/** Plans a story without keeping its capture loaded: every story is planned before the cover can number them. */
export async function planStoryPages(input: ReportPageInput, title: string, body: Box): Promise<PlannedStory> {
  const vector = await loadVector(input);
  const { choice, reason } = settle(input, vector);
  const shape = measure(input, choice, vector);
  const maxScale = choice === 'raster' && input.png ? rasterMaxScale(input.png.width, (input.png.width / (input.png.deviceScaleFactor ?? 2)) * PT_PER_CSS_PX) : undefined;
  return { title, choice, reason, shape, plan: planStory(shape, body, maxScale) };
}

/**
 * Embeds the story's capture in `doc`; the painter then draws any of its
 * bands, each wrapped by `tag`. A raster capture is embedded once and drawn
 * on each band's page. A vector capture is embedded once per band: a form
 * XObject has one place in the structure tree, so each page needs its own
 * for its text to stay tagged (drawing one on two pages would leave the
 * later page an untagged Figure); the cost is the capture's content stream
 * (and fonts) once per page, in docs/reports.md.
 */
export async function embedStory(doc: PDFDocument, input: ReportPageInput, story: PlannedStory, tag: BandTagger): Promise<BandPainter> {
  const { ptPerPx } = story.plan;
  const several = story.plan.bands.length > 1;
  // The whole story, placed so that the band's top meets its box's top; the box clips the rest.
  const place = (band: PlacedBand, widthPx: number, heightPx: number): Box => ({
    x: band.box.x,
    y: band.box.y + band.box.height + band.top * ptPerPx - heightPx * ptPerPx,
    width: widthPx * ptPerPx,
    height: heightPx * ptPerPx,
  });
  const clipped = (page: PDFPage, band: PlacedBand, draw: () => void) => {
    if (!several) return draw();
    const { x, y, width, height } = band.box;
    page.pushOperators(pushGraphicsState(), rectangle(x, y, width, height), clip(), endPath());
    draw();
    page.pushOperators(popGraphicsState());
  };

  if (story.choice === 'vector') {
    const vector = await loadVector(input);
    if (!vector) throw new Error('the vector capture has no page');
    return async (page, band) => {
      const [embedded] = await doc.embedPdf(vector, [0]);
      if (!embedded) throw new Error('the vector capture has no page');
      const box = place(band, embedded.width / PT_PER_CSS_PX, embedded.height / PT_PER_CSS_PX);
      tag(page, band, () => clipped(page, band, () => page.drawPage(embedded, box)), { source: vector, embedded });
    };
  }
  const png = input.png;
  if (!png) throw new Error('the raster capture is missing');
  const dsf = png.deviceScaleFactor ?? 2;
  const px = { width: png.width / dsf, height: png.height / dsf };
  const parsed = readPng(png.data);
  if (parsed && canPassThrough(parsed)) {
    const ref = embedPngPassThrough(doc, parsed);
    return (page, band) => {
      const box = place(band, px.width, px.height);
      tag(page, band, () => clipped(page, band, () => drawImageRef(page, ref, box)));
      return Promise.resolve();
    };
  }
  const image = await doc.embedPng(png.data);
  return (page, band) => {
    const box = place(band, px.width, px.height);
    tag(page, band, () => clipped(page, band, () => page.drawImage(image, box)));
    return Promise.resolve();
  };
}

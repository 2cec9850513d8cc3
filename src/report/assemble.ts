// Assembles a report PDF with pdf-lib: a cover with the contents, each
// story (vector or raster, see choose.ts) under its title on one page, or
// over as many as a tall story needs (bands.ts), page numbers, document
// metadata, a bookmark per story, and tags (tags.ts): every drawing is
// either content of a structure element or an artifact.
//
// Page numbers count the cover: the cover is page 1 and prints no number,
// the first story is "2 / N". The number printed is then the one a PDF
// viewer shows and the one the contents list gives, so nobody has to
// subtract one.
import { readFileSync } from 'node:fs';
import { PDFDocument, rgb, type PDFPage, type RGB } from 'pdf-lib';
import { fromRoot } from '../paths.js';
import { createTextSetter, normalizeText, type TextSetter } from './fonts.js';
import { formatGeneratedAt, formatShortDate, wordsFor } from './labels.js';
import { COLORS, TYPE, coverFrame, ellipsize, fitTitle, layoutTitleBlock, pageSize, paginateContents, storyFrame, wrapText, type CoverFrame, type Size } from './layout.js';
import { addOutline } from './outline.js';
import type { PlacedBand } from './bands.js';
import { embedStory, planStoryPages, type PlannedStory } from './story-pages.js';
import { ReportTags, type Elem } from './tags.js';
import { validateRequest, type AssembleRequest, type AssembledReport, type PageTags, type ReportPageInput, type ReportSheet } from './types.js';

export type { AssembleRequest, AssembledReport, ReportPageInput, PageChoice, ReportSheet } from './types.js';
export { assembleReportOffThread, DEFAULT_THREAD_HEAP_MB, type OffThreadOptions } from './off-thread.js';

const color = (c: readonly [number, number, number]): RGB => rgb(c[0] / 255, c[1] / 255, c[2] / 255);
const INK = color(COLORS.ink);
const MUTED = color(COLORS.muted);
const FAINT = color(COLORS.faint);
const ACCENT = color(COLORS.accent);

let producer: string | null = null;
/** "courier 0.1.0 (pdf-lib 1.17.1)". */
function producerName(): string {
  if (producer) return producer;
  const version = (file: string) => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '?';
    } catch {
      return '?';
    }
  };
  producer = `courier ${version(fromRoot('package.json'))} (pdf-lib ${version(fromRoot('node_modules', 'pdf-lib', 'package.json'))})`;
  return producer;
}

function hairline(page: PDFPage, x1: number, x2: number, y: number, thickness = 0.6, tone: RGB = FAINT): void {
  page.drawLine({ start: { x: x1, y }, end: { x: x2, y }, thickness, color: tone });
}

interface Context {
  req: AssembleRequest;
  size: Size;
  text: TextSetter;
  total: number;
  footerText: string;
  tags: ReportTags;
}

/** Footer of every page but the cover: the report and its date on the left, "n / N" on the right. */
function drawFooter(ctx: Context, page: PDFPage, number: number, marginX: number, baseline: number, ruleY: number | null): void {
  const { size, text } = ctx;
  const right = size.width - marginX;
  ctx.tags.artifact(page, () => {
    if (ruleY !== null) hairline(page, marginX, right, ruleY);
    // Drawn in reading order (left, then right), which is the order text tools extract.
    const label = ctx.req.layout.pageNumbers ? `${number} / ${ctx.total}` : null;
    const numberWidth = label ? text.width(label, TYPE.small) : 0;
    const left = ellipsize(ctx.footerText, right - marginX - numberWidth - 24, TYPE.small, (s, z) => text.width(s, z));
    text.draw(page, left, { x: marginX, y: baseline, size: TYPE.small, color: MUTED });
    if (label) text.draw(page, label, { x: right - numberWidth, y: baseline, size: TYPE.small, color: MUTED });
  }, 'Pagination');
}

/**
 * A story's pages: each band under the story's title, with the footer. Tags:
 * the first page's title is the story's heading; the next pages' "(continued)"
 * titles are running headers (artifacts), and their bands join the same
 * section (a vector story's own tags, a raster band a Figure with Alt).
 */
async function drawStory(ctx: Context, doc: PDFDocument, input: ReportPageInput, story: PlannedStory, firstNumber: number, alt: PageTags['alt'], index: number): Promise<PDFPage[]> {
  const { size, text, req, tags } = ctx;
  const frame = storyFrame(size);
  const right = size.width - frame.marginX;
  const words = wordsFor(req.lang);
  const recordOf = (band: PlacedBand): PageTags => ({ story: index, heading: story.plan.bands.indexOf(band) === 0, alt });
  // A vector band keeps the capture's own tags under the story's section; a raster band is a Figure over its box.
  const paint = await embedStory(doc, input, story, (page, band, draw, vector) =>
    vector ? tags.storyVector(page, recordOf(band), vector.source, vector.embedded, band.box, draw) : tags.storyFigure(page, recordOf(band), band.box, draw),
  );
  const app = req.smallApp ? ellipsize(normalizeText(req.smallApp), frame.body.width * 0.3, TYPE.small, (s, z) => text.width(s, z)) : '';
  const appWidth = app ? text.width(app, TYPE.small) : 0;
  const pages: PDFPage[] = [];
  for (const [i, band] of story.plan.bands.entries()) {
    const page = doc.addPage([size.width, size.height]);
    const record = recordOf(band);
    // Header: the story's title, the small app on the right, a hairline.
    const heading = i === 0 ? story.title : words.storyContinued(story.title);
    const title = ellipsize(heading, frame.body.width - appWidth - (appWidth > 0 ? 24 : 0), TYPE.pageTitle, (s, z) => text.width(s, z, 'bold'));
    tags.storyTitle(page, record, () => text.draw(page, title, { x: frame.marginX, y: frame.titleBaseline, size: TYPE.pageTitle, weight: 'bold', color: INK }));
    tags.artifact(page, () => {
      if (app) text.draw(page, app, { x: right - appWidth, y: frame.titleBaseline, size: TYPE.small, color: MUTED });
      hairline(page, frame.marginX, right, frame.headerRuleY);
    }, 'Pagination');
    await paint(page, band);
    drawFooter(ctx, page, firstNumber + i, frame.marginX, frame.footerBaseline, frame.footerRuleY);
    pages.push(page);
  }
  return pages;
}

interface CoverText {
  app: string | null;
  title: { size: number; lines: string[] };
  date: string[];
}

/** The cover's title block, wrapped to the cover's title column. */
function coverText(ctx: Pick<Context, 'req' | 'text' | 'size'>): CoverText {
  const { req, text } = ctx;
  const { titleWidth } = coverFrame(ctx.size);
  const measureBold = (s: string, z: number) => text.width(s, z, 'bold');
  const measure = (s: string, z: number) => text.width(s, z);
  return {
    app: req.smallApp ? ellipsize(normalizeText(req.smallApp), titleWidth, TYPE.coverApp, measureBold) : null,
    title: fitTitle(normalizeText(req.title), titleWidth, measureBold),
    date: wrapText(formatGeneratedAt(req.generatedAt, req.timezone, req.lang), titleWidth, TYPE.coverDate, measure, 2),
  };
}

function titleBlockOf(cover: CoverText, top: number) {
  return layoutTitleBlock(top, { hasApp: cover.app !== null, titleSize: cover.title.size, titleLines: cover.title.lines.length, dateLines: cover.date.length });
}

/** The cover (and continuation pages when the contents are long); returns the pages added. */
function drawCover(ctx: Context, doc: PDFDocument, cover: CoverText, frame: CoverFrame, titles: string[], starts: number[], perPage: number[]): PDFPage[] {
  const { size, text, req, tags } = ctx;
  const words = wordsFor(req.lang);
  const measure = (s: string, z: number) => text.width(s, z);
  const pages: PDFPage[] = [];
  let entry = 0;
  // Tags: the cover is a section (the small app, the title as H1, the date), the contents a TOC in it.
  const sect = tags.element('Sect', tags.root);
  let toc: Elem | null = null;

  perPage.forEach((rows, index) => {
    const page = doc.addPage([size.width, size.height]);
    pages.push(page);
    const area = index === 0 ? frame.contents : frame.contentsContinued;
    const areaTop = area.y + area.height;

    if (index === 0) {
      // Title block: a short accent bar, the small app, the title, the date.
      const block = titleBlockOf(cover, frame.titleTop);
      tags.artifact(page, () => page.drawRectangle({ x: frame.titleX, y: block.accentY, width: 36, height: 3, color: ACCENT }));
      if (cover.app !== null && block.appBaseline !== null) {
        const app = cover.app;
        const y = block.appBaseline;
        tags.mark(page, tags.element('P', sect), () => text.draw(page, app, { x: frame.titleX, y, size: TYPE.coverApp, weight: 'bold', color: ACCENT }));
      }
      const heading = tags.element('H1', sect);
      cover.title.lines.forEach((line, i) => {
        tags.mark(page, heading, () => text.draw(page, line, { x: frame.titleX, y: block.titleBaselines[i] ?? 0, size: block.titleSize, weight: 'bold', color: INK }));
      });
      const date = tags.element('P', sect);
      cover.date.forEach((line, i) => {
        tags.mark(page, date, () => text.draw(page, line, { x: frame.titleX, y: block.dateBaselines[i] ?? 0, size: TYPE.coverDate, color: MUTED }));
      });
    } else {
      drawFooter(ctx, page, index + 1, frame.titleX, frame.footerBaseline, null);
    }

    // Contents: a label, then one row per story with its page number.
    const label = index === 0 ? words.contents : words.contentsContinued;
    const drawLabel = () => text.draw(page, label.toUpperCase(), { x: area.x, y: areaTop + 10, size: TYPE.contentsLabel, weight: 'bold', color: MUTED });
    // The label heads the contents on the cover; on a continuation page it is a running header.
    if (index === 0) tags.mark(page, tags.element('H2', sect), drawLabel);
    else tags.artifact(page, drawLabel, 'Pagination');
    tags.artifact(page, () => hairline(page, area.x, area.x + area.width, areaTop, 0.8, ACCENT));
    toc ??= tags.element('TOC', sect);
    for (let row = 0; row < rows; row++, entry++) {
      const rowTop = areaTop - row * frame.rowHeight;
      const baseline = rowTop - frame.rowHeight + 6;
      const number = String(starts[entry] ?? '');
      const numberWidth = text.width(number, TYPE.contentsRow);
      const title = ellipsize(titles[entry] ?? '', area.width - numberWidth - 20, TYPE.contentsRow, measure);
      // Each row an item of the contents: the story's title and its page, one reference.
      const item = tags.element('Reference', tags.element('TOCI', toc));
      tags.mark(page, item, () => text.draw(page, title, { x: area.x, y: baseline, size: TYPE.contentsRow, color: INK }));
      tags.mark(page, item, () => text.draw(page, number, { x: area.x + area.width - numberWidth, y: baseline, size: TYPE.contentsRow, color: MUTED }));
      tags.artifact(page, () => hairline(page, area.x, area.x + area.width, rowTop - frame.rowHeight, 0.4));
    }
  });
  return pages;
}

/** Assembles in the calling thread. CPU-heavy for large reports: a worker uses assembleReportOffThread. */
export async function assembleReport(req: AssembleRequest): Promise<AssembledReport> {
  validateRequest(req);
  const words = wordsFor(req.lang);
  const titles = req.pages.map((p, i) => normalizeText(p.title) || words.page(i + 1));
  const size = pageSize(req.layout);
  const title = normalizeText(req.title);
  const footerText = `${title} · ${formatShortDate(req.generatedAt, req.timezone, req.lang)}`;

  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title, { showInWindowTitleBar: true });
  doc.setAuthor(req.author ?? 'courier');
  doc.setSubject(req.smallApp ? `${normalizeText(req.smallApp)} report` : 'Toucan report');
  doc.setKeywords(['report', ...(req.smallApp ? [normalizeText(req.smallApp)] : [])]);
  doc.setCreator('courier');
  doc.setProducer(producerName());
  doc.setCreationDate(req.generatedAt);
  doc.setModificationDate(req.generatedAt);
  doc.setLanguage(req.lang ?? 'en');

  const text = await createTextSetter(
    doc,
    {
      regular: [footerText, '0123456789 /', ...titles, req.smallApp ?? '', formatGeneratedAt(req.generatedAt, req.timezone, req.lang), '…'],
      bold: [title, ...titles, ...titles.map((t) => words.storyContinued(t)), req.smallApp ?? '', words.contents.toUpperCase(), words.contentsContinued.toUpperCase(), '…'],
    },
    { lang: req.lang },
  );

  // The cover's contents may run onto more pages: count them before numbering anything.
  let coverPlan: { text: CoverText; frame: CoverFrame; perPage: number[] } | null = null;
  if (req.layout.cover) {
    const cover = coverText({ req, text, size });
    const frame = coverFrame(size, titleBlockOf(cover, 0).height);
    coverPlan = { text: cover, frame, perPage: paginateContents(titles.length, frame) };
  }
  // Every story is planned (how many pages it takes) before anything is numbered; none stays loaded.
  const body = storyFrame(size).body;
  const stories: PlannedStory[] = [];
  for (let i = 0; i < req.pages.length; i++) stories.push(await planStoryPages(req.pages[i] as ReportPageInput, titles[i] as string, body));
  const coverPages = coverPlan?.perPage.length ?? 0;
  const starts: number[] = [];
  let total = coverPages;
  for (const story of stories) {
    starts.push(total + 1);
    total += story.plan.bands.length;
  }
  const tags = new ReportTags(doc, req.lang ?? 'en', coverPlan ? 'H2' : 'H1');
  const ctx: Context = { req, size, text, total, footerText, tags };

  const cover = coverPlan ? drawCover(ctx, doc, coverPlan.text, coverPlan.frame, titles, starts, coverPlan.perPage) : [];
  const sheets: ReportSheet[] = cover.map((_, part) => ({ kind: 'cover', part }));
  const firstPages: PDFPage[] = [];
  for (const [i, story] of stories.entries()) {
    // One story at a time: its capture is dropped once drawn.
    const input = req.pages[i] as ReportPageInput;
    const description = input.description ? normalizeText(input.description).trim() || undefined : undefined;
    const alt = { description, generated: words.chartAlt({ title: story.title }) };
    const pages = await drawStory(ctx, doc, input, story, starts[i] as number, alt, i);
    firstPages.push(pages[0] as PDFPage);
    const { bands } = story.plan;
    bands.forEach((band, b) => sheets.push({ kind: 'story', story: i, band: b, bands: bands.length, top: band.top, bottom: band.bottom }));
  }

  // One bookmark per story, at its first page.
  addOutline(doc, [
    ...(cover[0] ? [{ title: words.cover, page: cover[0] }] : []),
    ...firstPages.map((page, i) => ({ title: titles[i] as string, page })),
  ]);

  await tags.finish();
  const data = await doc.save({ useObjectStreams: true });
  const overMaxBytes = req.maxBytes !== undefined && data.byteLength > req.maxBytes;
  return {
    data,
    pages: doc.getPageCount(),
    sheets,
    choices: stories.map((s) => s.choice),
    reasons: stories.map((s) => s.reason),
    bytes: data.byteLength,
    overMaxBytes,
  };
}

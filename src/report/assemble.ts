// Assembles a report PDF with pdf-lib: a cover with the contents, one story
// per page (vector or raster, see choose.ts) under its title, page numbers,
// document metadata, a bookmark per story, and tags (tags.ts): every
// drawing is either content of a structure element or an artifact.
//
// Page numbers count the cover: the cover is page 1 and prints no number,
// the first story is "2 / N". The number printed is then the one a PDF
// viewer shows and the one the contents list gives, so nobody has to
// subtract one.
import { readFileSync } from 'node:fs';
import { PDFDocument, PDFName, PDFRawStream, PDFRef, rgb, type PDFPage, type RGB } from 'pdf-lib';
import { fromRoot } from '../paths.js';
import { choosePage, type CaptureFacts } from './choose.js';
import { createTextSetter, normalizeText, type TextSetter } from './fonts.js';
import { formatGeneratedAt, formatShortDate, wordsFor } from './labels.js';
import { COLORS, TYPE, coverFrame, ellipsize, fitStory, fitTitle, layoutTitleBlock, pageSize, paginateContents, rasterMaxScale, storyFrame, wrapText, PT_PER_CSS_PX, type CoverFrame, type Size } from './layout.js';
import { addOutline } from './outline.js';
import { canPassThrough, drawImageRef, embedPngPassThrough, readPng } from './png.js';
import { ReportTags, type Elem } from './tags.js';
import { validateRequest, type AssembleRequest, type AssembledReport, type PageChoice, type PageTags, type ReportPageInput } from './types.js';

export type { AssembleRequest, AssembledReport, ReportPageInput, PageChoice } from './types.js';
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

/** A story ready to draw: the chosen capture, loaded. */
interface PreparedStory {
  title: string;
  choice: PageChoice;
  reason: string;
  vector: PDFDocument | null;
  png: ReportPageInput['png'] | null;
}

/** Bytes of image streams in a PDF: how much of a "vector" capture is really pixels. */
function imageBytes(pdf: PDFDocument): number {
  let total = 0;
  for (const [, object] of pdf.context.enumerateIndirectObjects()) {
    if (object instanceof PDFRawStream && object.dict.get(PDFName.of('Subtype')) === PDFName.of('Image')) total += object.contents.length;
  }
  return total;
}

async function prepareStory(input: ReportPageInput, title: string): Promise<PreparedStory> {
  let vector: PDFDocument | null = null;
  if (input.pdf) {
    try {
      vector = await PDFDocument.load(input.pdf, { updateMetadata: false });
    } catch {
      vector = null;
    }
  }
  const facts: CaptureFacts = {
    vectorBytes: input.pdf ? input.pdf.byteLength : null,
    vectorPages: vector ? vector.getPageCount() : null,
    vectorImageBytes: vector ? imageBytes(vector) : 0,
    rasterBytes: input.png ? input.png.data.byteLength : null,
  };
  const { choice, reason } = choosePage(facts);
  return { title, choice, reason, vector: choice === 'vector' ? vector : null, png: choice === 'raster' ? (input.png ?? null) : null };
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

async function drawStory(ctx: Context, doc: PDFDocument, story: PreparedStory, number: number, record: PageTags): Promise<PDFPage> {
  const { size, text, req, tags } = ctx;
  const page = doc.addPage([size.width, size.height]);
  const frame = storyFrame(size);
  const right = size.width - frame.marginX;

  // Header: the story's title, the small app on the right, a hairline.
  const app = req.smallApp ? ellipsize(normalizeText(req.smallApp), frame.body.width * 0.3, TYPE.small, (s, z) => text.width(s, z)) : '';
  const appWidth = app ? text.width(app, TYPE.small) : 0;
  const title = ellipsize(story.title, frame.body.width - appWidth - (appWidth > 0 ? 24 : 0), TYPE.pageTitle, (s, z) => text.width(s, z, 'bold'));
  tags.storyTitle(page, record, () => text.draw(page, title, { x: frame.marginX, y: frame.titleBaseline, size: TYPE.pageTitle, weight: 'bold', color: INK }));
  tags.artifact(page, () => {
    if (app) text.draw(page, app, { x: right - appWidth, y: frame.titleBaseline, size: TYPE.small, color: MUTED });
    hairline(page, frame.marginX, right, frame.headerRuleY);
  }, 'Pagination');

  // The story, as large as fits without going soft.
  if (story.vector) {
    const [embedded] = await doc.embedPdf(story.vector, [0]);
    if (!embedded) throw new Error('the vector capture has no page');
    const box = fitStory({ width: embedded.width, height: embedded.height }, frame.body);
    tags.storyVector(page, record, story.vector, embedded, box, () => page.drawPage(embedded, box));
  } else if (story.png) {
    const dsf = story.png.deviceScaleFactor ?? 2;
    const natural = { width: (story.png.width / dsf) * PT_PER_CSS_PX, height: (story.png.height / dsf) * PT_PER_CSS_PX };
    const box = fitStory(natural, frame.body, rasterMaxScale(story.png.width, natural.width));
    const parsed = readPng(story.png.data);
    const image = parsed && canPassThrough(parsed) ? embedPngPassThrough(doc, parsed) : await doc.embedPng(story.png.data);
    tags.storyFigure(page, record, box, () => (image instanceof PDFRef ? drawImageRef(page, image, box) : page.drawImage(image, box)));
  }

  drawFooter(ctx, page, number, frame.marginX, frame.footerBaseline, frame.footerRuleY);
  return page;
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
function drawCover(ctx: Context, doc: PDFDocument, cover: CoverText, frame: CoverFrame, titles: string[], perPage: number[]): PDFPage[] {
  const { size, text, req, tags } = ctx;
  const words = wordsFor(req.lang);
  const measure = (s: string, z: number) => text.width(s, z);
  const pages: PDFPage[] = [];
  const firstStoryPage = perPage.length + 1;
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
      const number = String(firstStoryPage + entry);
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
      bold: [title, ...titles, req.smallApp ?? '', words.contents.toUpperCase(), words.contentsContinued.toUpperCase(), '…'],
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
  const total = (coverPlan?.perPage.length ?? 0) + titles.length;
  const tags = new ReportTags(doc, req.lang ?? 'en', coverPlan ? 'H2' : 'H1');
  const ctx: Context = { req, size, text, total, footerText, tags };

  const cover = coverPlan ? drawCover(ctx, doc, coverPlan.text, coverPlan.frame, titles, coverPlan.perPage) : [];
  const choices: PageChoice[] = [];
  const reasons: string[] = [];
  const storyPages: PDFPage[] = [];
  for (let i = 0; i < req.pages.length; i++) {
    // One story at a time: its source PDF is dropped once copied in.
    const input = req.pages[i] as ReportPageInput;
    const story = await prepareStory(input, titles[i] as string);
    const description = input.description ? normalizeText(input.description).trim() || undefined : undefined;
    const record: PageTags = { story: i, heading: true, alt: { description, generated: words.chartAlt({ title: story.title }) } };
    storyPages.push(await drawStory(ctx, doc, story, cover.length + i + 1, record));
    choices.push(story.choice);
    reasons.push(story.reason);
  }

  addOutline(doc, [
    ...(cover[0] ? [{ title: words.cover, page: cover[0] }] : []),
    ...storyPages.map((page, i) => ({ title: titles[i] as string, page })),
  ]);

  await tags.finish();
  const data = await doc.save({ useObjectStreams: true });
  const overMaxBytes = req.maxBytes !== undefined && data.byteLength > req.maxBytes;
  return { data, pages: doc.getPageCount(), choices, reasons, bytes: data.byteLength, overMaxBytes };
}

// Report assembly from real captures of the fixture story (Chromium through
// the production renderer), read back with poppler and qpdf as a person's
// tools would read it.
import { PDFDocument, PDFName, PDFRawStream, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_PAGES } from '../../src/contracts/pdf-report.js';
import { assembleReport, type AssembleRequest } from '../../src/report/assemble.js';
import { CHART_BLUE, LOADER_GREY, colorShare } from '../helpers/image.js';
import { pdfFile, pdfInfo, pdfOutlines, pdfPagePng, pdfText, qpdfCheck } from '../helpers/pdf.js';
import { startCaptureSession, type CaptureSession, type CapturedPage } from '../helpers/report-captures.js';

let session: CaptureSession;
let pages: CapturedPage[];
const TITLES = ['Sales by region', 'Monthly revenue — 2026', '解約率 · プラン別'];

const request = (overrides: Partial<AssembleRequest> = {}): AssembleRequest => ({
  title: 'Weekly sales report',
  smallApp: 'Sales Pulse',
  generatedAt: new Date('2026-11-23T07:00:00Z'),
  timezone: 'Europe/Paris',
  lang: 'en-GB',
  layout: { format: 'A4', landscape: true, cover: true, pageNumbers: true },
  pages,
  ...overrides,
});

/** The story page shows the chart (blue bars) and not the loader (grey). */
function expectChart(file: string, page: number): void {
  const image = pdfPagePng(file, page, 50);
  expect(colorShare(image, CHART_BLUE), `chart on page ${page}`).toBeGreaterThan(0.05);
  expect(colorShare(image, LOADER_GREY, 6), `loader on page ${page}`).toBeLessThan(0.001);
}

beforeAll(async () => {
  session = await startCaptureSession();
  pages = [await session.capture('sales', TITLES[0]), await session.capture('revenue', TITLES[1]), await session.capture('churn', TITLES[2])];
});

afterAll(async () => {
  await session?.close();
});

describe('a report from three stories', () => {
  let file: string;
  let report: Awaited<ReturnType<typeof assembleReport>>;

  beforeAll(async () => {
    report = await assembleReport(request());
    file = pdfFile(report.data, 'three');
  });

  it('has the cover and one page per story, each story in vector form', () => {
    expect(report.pages).toBe(4);
    expect(report.choices).toEqual(['vector', 'vector', 'vector']);
    expect(report.bytes).toBe(report.data.byteLength);
    expect(report.overMaxBytes).toBe(false);
    expect(qpdfCheck(file)).toMatch(/No syntax or stream encoding errors/);
    const info = pdfInfo(file);
    expect(info.Pages).toBe('4');
    expect(info['Page size']).toMatch(/^841\.89 x 595\.28 pts \(A4\)/);
  });

  it('carries its metadata', () => {
    const info = pdfInfo(file);
    expect(info.Title).toBe('Weekly sales report');
    expect(info.Author).toBe('courier');
    expect(info.Subject).toBe('Sales Pulse report');
    expect(info.Creator).toBe('courier');
    expect(info.Producer).toMatch(/^courier \d+\.\d+\.\d+ \(pdf-lib [\d.]+\)$/);
    expect(info.CreationDate).toBe('2026-11-23T07:00:00Z');
    expect(info.ModDate).toBe('2026-11-23T07:00:00Z');
    expect(info.Keywords).toContain('Sales Pulse');
  });

  it('lists the title, the small app, the date in the job time zone and every story with its page on the cover', () => {
    const cover = pdfText(file, 1);
    expect(cover).toContain('Weekly sales report');
    expect(cover).toContain('Sales Pulse');
    expect(cover).toMatch(/23 November 2026.*08:00 \(Europe\/Paris\)/);
    expect(cover).toContain('CONTENTS');
    TITLES.forEach((title, i) => expect(cover).toMatch(new RegExp(`${title}\\s+${i + 2}\\b`)));
  });

  it('puts each story under its title, numbered "n / N" in the footer; the cover counts but shows no number', () => {
    expect(pdfText(file, 1)).not.toMatch(/\d+ \/ 4/);
    TITLES.forEach((title, i) => {
      const text = pdfText(file, i + 2);
      expect(text.trimStart().startsWith(title)).toBe(true);
      expect(text).toContain(`${i + 2} / 4`);
      expect(text).toContain('Weekly sales report · 23 Nov 2026');
    });
  });

  it('keeps the story text selectable (vector) and the CJK title extractable', () => {
    expect(pdfText(file, 2)).toContain('North');
    expect(pdfText(file, 4)).toContain('解約率 · プラン別');
  });

  it('has a bookmark for the cover and one per story, each opening its page', () => {
    expect(pdfOutlines(file)).toEqual([
      { title: 'Cover', page: 1, kids: [] },
      { title: TITLES[0], page: 2, kids: [] },
      { title: TITLES[1], page: 3, kids: [] },
      { title: TITLES[2], page: 4, kids: [] },
    ]);
  });

  it('shows every chart, not the loader, when rasterised', () => {
    for (const page of [2, 3, 4]) expectChart(file, page);
  });
});

describe('choices and layouts', () => {
  it('embeds the PNG when there is no vector capture, and the chart still shows', async () => {
    const report = await assembleReport(request({ pages: pages.map((p) => ({ title: p.title, png: p.png })) }));
    expect(report.choices).toEqual(['raster', 'raster', 'raster']);
    expect(report.reasons[0]).toBe('no vector capture');
    const file = pdfFile(report.data, 'raster');
    for (const page of [2, 3, 4]) expectChart(file, page);
    expect(pdfText(file, 2)).toContain('Sales by region');
    expect(pdfText(file, 2)).not.toContain('North');
  });

  it('falls back to the PNG when the vector capture has more than one page (the story would be cut)', async () => {
    const twoPages = await PDFDocument.create();
    const source = await PDFDocument.load(pages[0]!.pdf);
    for (const copied of await twoPages.copyPages(source, [0, 0])) twoPages.addPage(copied);
    const report = await assembleReport(request({ pages: [{ ...pages[0]!, pdf: await twoPages.save() }, pages[1]!] }));
    expect(report.choices).toEqual(['raster', 'vector']);
    expect(report.reasons[0]).toMatch(/not one page \(the story would be cut\)/);
    expectChart(pdfFile(report.data, 'cut'), 2);
  });

  it('leaves the cover and the numbers out when the layout says so', async () => {
    const report = await assembleReport(request({ layout: { format: 'Letter', landscape: false, cover: false, pageNumbers: false } }));
    const file = pdfFile(report.data, 'bare');
    expect(report.pages).toBe(3);
    expect(pdfInfo(file)['Page size']).toMatch(/^612 x 792 pts \(letter\)/);
    expect(pdfText(file, 1).trimStart().startsWith(TITLES[0]!)).toBe(true);
    expect(pdfText(file)).not.toMatch(/\d \/ 3/);
    expect(pdfOutlines(file).map((o) => [o.title, o.page])).toEqual(TITLES.map((t, i) => [t, i + 1]));
    expectChart(file, 1);
  });

  it('reports a file over the byte limit, for the caller to link instead of attach', async () => {
    const small = await assembleReport(request({ maxBytes: 10_000 }));
    expect(small.overMaxBytes).toBe(true);
    const roomy = await assembleReport(request({ maxBytes: 10 * 1024 * 1024 }));
    expect(roomy.overMaxBytes).toBe(false);
  });

  it('titles an untitled story "Page n" and writes the cover in the job language', async () => {
    const report = await assembleReport(request({ lang: 'fr-FR', pages: [{ ...pages[0]!, title: '  ' }] }));
    const file = pdfFile(report.data, 'fr');
    expect(pdfText(file, 1)).toContain('SOMMAIRE');
    expect(pdfText(file, 1)).toMatch(/lundi 23 novembre 2026/);
    expect(pdfOutlines(file).map((o) => o.title)).toEqual(['Couverture', 'Page 1']);
  });

  it('refuses no pages, more than the page limit, and a page without captures', async () => {
    await expect(assembleReport(request({ pages: [] }))).rejects.toThrow(/1 to 100 pages/);
    const tooMany = Array.from({ length: MAX_REPORT_PAGES + 1 }, () => pages[0]!);
    await expect(assembleReport(request({ pages: tooMany }))).rejects.toThrow(/not 101/);
    await expect(assembleReport(request({ pages: [{ title: 'Empty' }] }))).rejects.toThrow(/\("Empty"\) has neither a PDF nor a PNG/);
  });
});

describe('a story taller than a page', () => {
  /** A vector story of 1000 × 4000 CSS px: six framed panels of 587 px, each with its name as text. */
  async function tallStory(): Promise<{ pdf: Uint8Array; shape: { width: number; height: number; blocks: { kind: 'panel' | 'text'; top: number; bottom: number }[] } }> {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage([750, 3000]);
    const blocks: { kind: 'panel' | 'text'; top: number; bottom: number }[] = [];
    for (let i = 0; i < 6; i++) {
      page.drawRectangle({ x: 20, y: 3000 - (i + 1) * 480, width: 700, height: 440, borderWidth: 1 });
      page.drawText(`Panel ${i + 1}`, { x: 40, y: 3000 - i * 480 - 80, size: 20, font });
      blocks.push({ kind: 'panel', top: (i * 480 + 40) / 0.75, bottom: (i * 480 + 480) / 0.75 }, { kind: 'text', top: (i * 480 + 62) / 0.75, bottom: (i * 480 + 84) / 0.75 });
    }
    return { pdf: await doc.save(), shape: { width: 1000, height: 4000, blocks } };
  }

  it('goes over as many pages as it needs, one panel a page, each under the continued title; a vector capture once per page (each page keeps its tags)', async () => {
    const tall = await tallStory();
    const report = await assembleReport(request({ pages: [{ title: 'Home', ...tall, chosen: 'vector (12 SVG shapes)' }, pages[0]!] }));
    const file = pdfFile(report.data, 'tall');
    expect(report.pages).toBe(1 + 6 + 1);
    expect(report.choices).toEqual(['vector', 'vector']);
    expect(report.reasons[0]).toBe('vector (12 SVG shapes)');
    expect(report.sheets.map((s) => (s.kind === 'story' ? `${s.story}:${s.band}/${s.bands}` : s.kind))).toEqual(['cover', '0:0/6', '0:1/6', '0:2/6', '0:3/6', '0:4/6', '0:5/6', '1:0/1']);
    for (let i = 0; i < 6; i++) {
      const text = pdfText(file, i + 2);
      // Each page shows its own panel only: the rest of the story is clipped away, for the eye and for text tools.
      expect(text.match(/Panel \d/g)).toEqual([`Panel ${i + 1}`]);
      expect(text.trimStart().startsWith(i === 0 ? 'Home' : 'Home (continued)')).toBe(true);
      expect(text).toContain(`${i + 2} / 8`);
    }
    expect(pdfText(file, 1)).toMatch(/Sales by region\s+8\b/);
    expect(pdfOutlines(file).map((o) => [o.title, o.page])).toEqual([['Cover', 1], ['Home', 2], [TITLES[0], 8]]);
    // A vector tall story is embedded once per page it covers (a form XObject has one place in the structure tree), plus one for the other story.
    const loaded = await PDFDocument.load(report.data);
    const forms = loaded.context.enumerateIndirectObjects().filter(([, o]) => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Form'));
    expect(forms).toHaveLength(7);
    expect(qpdfCheck(file)).toMatch(/No syntax or stream encoding errors/);
  });
});

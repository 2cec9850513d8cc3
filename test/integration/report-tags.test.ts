// Tagged reports (issue 25): real captures of the fixture story (Chromium
// through the production renderer), assembled by the real report code, read
// back with qpdf's JSON view and poppler as a checker or a reader's tools
// would: MarkInfo, Lang, DisplayDocTitle, a structure tree in reading order
// whose every MCID leads back to its element, Figures with Alt, artifacts
// for what repeats on every page, and the vector stories' text still text.
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { PDFDict, PDFDocument, PDFName, PDFString } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleReport, type AssembleRequest } from '../../src/report/assemble.js';
import { ReportTags } from '../../src/report/tags.js';
import { flattenTags, pdfFile, pdfInfo, pdfOutlines, pdfStructText, pdfTags, pdfText, qpdfCheck, type StructNode, type TagsView } from '../helpers/pdf.js';
import { startCaptureSession, type CaptureSession, type CapturedPage } from '../helpers/report-captures.js';
import { startWorld, type World } from '../helpers/world.js';

let session: CaptureSession;
let sales: CapturedPage;
let revenue: CapturedPage;
let churn: CapturedPage;
const DESCRIPTION = 'Barres : le chiffre d’affaires mensuel monte de 200 k€ en janvier à 384 k€ en août.';

const request = (overrides: Partial<AssembleRequest> = {}): AssembleRequest => ({
  title: 'Revue hebdomadaire des ventes',
  smallApp: 'Sales Pulse',
  generatedAt: new Date('2026-12-07T07:00:00Z'),
  timezone: 'Europe/Paris',
  lang: 'fr-FR',
  layout: { format: 'A4', landscape: true, cover: true, pageNumbers: true },
  pages: [
    { ...sales, title: 'Ventes par région' },
    { ...revenue, title: 'Chiffre d’affaires mensuel', description: DESCRIPTION },
    // No vector capture: this story is a picture (raster) in the report.
    { title: 'Attrition par offre', png: churn.png },
  ],
  ...overrides,
});

/** Headings and Figures, in reading order: what a screen reader's heading and figure navigation lists. */
const outlineOf = (tree: StructNode[]) =>
  flattenTags(tree)
    .filter((n) => /^H\d$/.test(n.type) || n.type === 'Figure')
    .map((n) => (n.type === 'Figure' ? `Figure: ${n.alt ?? '(no Alt)'}` : n.type));

beforeAll(async () => {
  session = await startCaptureSession();
  sales = await session.capture('sales');
  revenue = await session.capture('revenue');
  churn = await session.capture('churn');
}, 120_000);

afterAll(async () => {
  await session?.close();
});

describe('a French report with a cover, two vector stories and a raster one', () => {
  let file: string;
  let tags: TagsView;

  beforeAll(async () => {
    const report = await assembleReport(request());
    expect(report.choices).toEqual(['vector', 'vector', 'raster']);
    file = pdfFile(report.data, 'tagged');
    tags = pdfTags(file);
  });

  it('is tagged, in French, titled in the window, and sound', () => {
    expect(pdfInfo(file).Tagged).toBe('yes');
    expect(tags.markInfo['/Marked']).toBe(true);
    expect(tags.catalog['/Lang']).toBe('u:fr-FR');
    expect(tags.viewerPreferences['/DisplayDocTitle']).toBe(true);
    expect(pdfInfo(file).Title).toBe('Revue hebdomadaire des ventes');
    expect(qpdfCheck(file)).toMatch(/No syntax or stream encoding errors/);
    // Every piece of marked content leads back, through the ParentTree, to the element that holds it.
    expect(tags.parentTreeProblems).toEqual([]);
  });

  it('has a structure tree in reading order: the cover, its contents, then a section per story with its heading and Figure', () => {
    const tree = tags.tree!;
    expect(tree.map((n) => n.type)).toEqual(['Document']);
    expect(tree[0]!.lang).toBe('fr-FR');
    expect(tree[0]!.kids.map((n) => n.type)).toEqual(['Sect', 'Sect', 'Sect', 'Sect']);
    expect(outlineOf(tree)).toEqual([
      'H1', // the report's title
      'H2', // "Sommaire"
      'H2', // Ventes par région
      'H3', // the story's own title, one level below
      'Figure: Graphique\u00a0: Ventes par région',
      'H2',
      'H3',
      `Figure: ${DESCRIPTION}`,
      'H2',
      'Figure: Graphique\u00a0: Attrition par offre',
    ]);
    const cover = tree[0]!.kids[0]!;
    expect(cover.kids.map((n) => n.type)).toEqual(['P', 'H1', 'P', 'H2', 'TOC']);
    expect(cover.kids[4]!.kids.map((n) => n.type)).toEqual(['TOCI', 'TOCI', 'TOCI']);
  });

  it('holds the cover, the contents and every heading as text (what a screen reader reads)', () => {
    const read = pdfStructText(file);
    for (const words of ['Sales Pulse', 'hebdomadaire', 'lundi 7 décembre 2026', 'SOMMAIRE', 'Ventes par région', 'Chiffre d’affaires mensuel', 'Attrition par offre']) {
      expect(read).toContain(words);
    }
    // The vector stories' own text is inside the tags: their title, subtitle and the chart's labels.
    expect(read).toContain('Sales by region');
    expect(read).toContain('Q3, in k€');
    expect(read).toMatch(/North\s*420/);
    // What repeats on every page is an artifact, left out of what is read: footer, page numbers, running header.
    expect(read).not.toContain('7 déc. 2026');
    expect(read).not.toMatch(/\b\d \/ 4\b/);
    expect(read.match(/Sales Pulse/g)).toHaveLength(1);
  });

  it('keeps each vector story in its own language, the one of the page it was printed from', () => {
    const sections = tags.tree![0]!.kids.slice(1, 3);
    for (const sect of sections) expect(sect.kids[1]!.lang).toBe('en');
  });

  it('keeps the text selectable where the story was vector, and has its bookmarks', () => {
    expect(pdfText(file, 2)).toMatch(/North/);
    expect(pdfText(file, 3)).toMatch(/Aug/);
    expect(pdfText(file, 4)).not.toMatch(/Enterprise/);
    expect(pdfOutlines(file).map((o) => [o.title, o.page])).toEqual([
      ['Couverture', 1],
      ['Ventes par région', 2],
      ['Chiffre d’affaires mensuel', 3],
      ['Attrition par offre', 4],
    ]);
  });
});

describe('other shapes', () => {
  it('makes the story titles the H1s when there is no cover', async () => {
    const report = await assembleReport(request({ lang: 'en-GB', layout: { format: 'A4', landscape: false, cover: false, pageNumbers: false } }));
    const tags = pdfTags(pdfFile(report.data, 'no-cover'));
    expect(tags.parentTreeProblems).toEqual([]);
    expect(outlineOf(tags.tree!)).toEqual(['H1', 'H2', 'Figure: Chart: Ventes par région', 'H1', 'H2', `Figure: ${DESCRIPTION}`, 'H1', 'Figure: Chart: Attrition par offre']);
  });

  it('keeps the name a story gives its chart (Chromium prints an aria-label as /Alt), unless the job describes it', async () => {
    // The fixture's chart has no aria-label: give its Figure the /Alt Chromium writes for one.
    const named = await PDFDocument.load(sales.pdf);
    for (const [, object] of named.context.enumerateIndirectObjects()) {
      if (object instanceof PDFDict && object.get(PDFName.of('S')) === PDFName.of('Figure')) object.set(PDFName.of('Alt'), PDFString.of('Bars: sales by region, East first'));
    }
    const pdf = await named.save();
    const alts = async (description?: string) => {
      const report = await assembleReport(request({ pages: [{ ...sales, title: 'Ventes', pdf, description }] }));
      return flattenTags(pdfTags(pdfFile(report.data, 'named')).tree!).filter((n) => n.type === 'Figure').map((n) => n.alt);
    };
    expect(await alts()).toEqual(['Bars: sales by region, East first']);
    expect(await alts(DESCRIPTION)).toEqual([DESCRIPTION]);
  });

  it('makes an untagged vector story one Figure, its text still selectable', async () => {
    const untagged = await PDFDocument.load(sales.pdf);
    untagged.catalog.delete(PDFName.of('StructTreeRoot'));
    untagged.catalog.delete(PDFName.of('MarkInfo'));
    const report = await assembleReport(request({ pages: [{ ...sales, title: 'Ventes', pdf: await untagged.save() }] }));
    expect(report.choices).toEqual(['vector']);
    const file = pdfFile(report.data, 'untagged-story');
    const tags = pdfTags(file);
    expect(tags.parentTreeProblems).toEqual([]);
    expect(outlineOf(tags.tree!)).toEqual(['H1', 'H2', 'H2', 'Figure: Graphique\u00a0: Ventes']);
    expect(pdfText(file, 2)).toMatch(/North/);
  });

  it('joins a story laid over two pages into one section: one heading, a running header, its elements on both pages', async () => {
    // As the band layout draws a tall story: the same capture, a part per page, each page tagged from its own record.
    const doc = await PDFDocument.create();
    const tags = new ReportTags(doc, 'en-GB', 'H1');
    const source = await PDFDocument.load(sales.pdf);
    const [first] = source.getPages();
    const { width, height } = first!.getSize();
    const halves = [
      { left: 0, right: width, top: height, bottom: height / 2 },
      { left: 0, right: width, top: height / 2, bottom: 0 },
    ];
    const font = await doc.embedFont('Helvetica');
    for (const [i, half] of halves.entries()) {
      const page = doc.addPage([width, height / 2 + 40]);
      const record = { story: 0, heading: i === 0, alt: { generated: 'Chart: Sales by region' } };
      tags.storyTitle(page, record, () => page.drawText(i === 0 ? 'Sales' : 'Sales (continued)', { x: 10, y: height / 2 + 20, size: 12, font }));
      const part = await doc.embedPage(first!, half);
      const box = { x: 0, y: 0, width: part.width, height: part.height };
      tags.storyVector(page, record, source, part, box, () => page.drawPage(part, box));
    }
    await tags.finish();
    const file = pdfFile(await doc.save(), 'two-parts');
    const view = pdfTags(file);
    expect(view.parentTreeProblems).toEqual([]);
    const sections = view.tree![0]!.kids;
    expect(sections.map((n) => n.type)).toEqual(['Sect']);
    expect(outlineOf(view.tree!)).toEqual(['H1', 'H2', 'Figure: Chart: Sales by region']);
    const figure = flattenTags(view.tree!).find((n) => n.type === 'Figure')!;
    expect(new Set(figure.content.map((c) => c.page))).toEqual(new Set([1, 2]));
    expect(new Set(figure.content.map((c) => c.stream)).size).toBe(2);
    const read = pdfStructText(file);
    expect(read).toContain('Sales');
    expect(read).not.toContain('continued');
  });
});

describe('a pdf-report job through the worker', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ name: 'report-tags' });
  }, 120_000);

  afterAll(() => world?.close());

  it('tags the delivered PDF with the job’s description and gives the thumbnail the same alternative text', async () => {
    const description = 'Bar chart: sales by region in Q3, East highest at 515 k€';
    const { result } = await world.producer.enqueueAndWait(
      'pdf-report',
      {
        title: 'Weekly sales review',
        lang: 'en-GB',
        auth: { token: world.stack.token },
        pages: [
          { url: '/demo?slide=sales&export=true', title: 'Sales by region', description },
          { url: '/demo?slide=churn&export=true', title: 'Churn by plan' },
        ],
        deliver: [{ type: 'email', to: ['board@corp.example.com'] }],
      },
      { timeoutMs: 120_000 },
    );
    const file = join(world.artifactsDir, result.artifacts[0]!.path);
    const tags = pdfTags(file);
    expect(pdfInfo(file).Tagged).toBe('yes');
    expect(tags.catalog['/Lang']).toBe('u:en-GB');
    expect(tags.parentTreeProblems).toEqual([]);
    expect(outlineOf(tags.tree!)).toEqual(['H1', 'H2', 'H2', 'H3', `Figure: ${description}`, 'H2', 'H3', 'Figure: Chart: Churn by plan']);
    expect(pdfStructText(file)).toMatch(/North\s*420/);

    const [message] = world.smtp.messagesFor('board@corp.example.com');
    const mail = await simpleParser(message!.raw);
    expect(mail.html).toContain(`alt="${description}"`);
  }, 180_000);
});

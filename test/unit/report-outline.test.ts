// Bookmarks built from pdf-lib's low-level objects, read back by qpdf and by pdf-lib.
import { PDFDict, PDFDocument, PDFHexString, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { addOutline } from '../../src/report/outline.js';
import { pdfFile, pdfOutlines, qpdfCheck } from '../helpers/pdf.js';

describe('bookmarks', () => {
  it('adds one top-level bookmark per entry, with Unicode titles, each opening its page', async () => {
    const doc = await PDFDocument.create();
    const pages = [doc.addPage(), doc.addPage(), doc.addPage(), doc.addPage()];
    const titles = ['Cover', 'Sales by region', 'Ventes – Île-de-France', '売上レポート · 中文'];
    addOutline(doc, [
      { title: titles[0]!, page: pages[0]! },
      { title: titles[1]!, page: pages[1]! },
      { title: titles[2]!, page: pages[2]! },
      { title: titles[3]!, page: pages[3]! },
    ]);
    const file = pdfFile(await doc.save(), 'outline');

    expect(qpdfCheck(file)).toMatch(/No syntax or stream encoding errors/);
    const outlines = pdfOutlines(file);
    expect(outlines.map((o) => o.title)).toEqual(titles);
    expect(outlines.map((o) => o.page)).toEqual([1, 2, 3, 4]);
    expect(outlines.every((o) => o.kids.length === 0)).toBe(true);
  });

  it('links the items both ways and asks viewers to show the bookmarks', async () => {
    const doc = await PDFDocument.create();
    const [a, b] = [doc.addPage(), doc.addPage()];
    addOutline(doc, [
      { title: 'A', page: a },
      { title: 'B', page: b },
    ]);
    const reread = await PDFDocument.load(await doc.save());
    const { catalog, context } = reread;
    expect(catalog.get(PDFName.of('PageMode'))).toBe(PDFName.of('UseOutlines'));
    const root = catalog.lookup(PDFName.of('Outlines'), PDFDict);
    expect(root.get(PDFName.of('Count'))?.toString()).toBe('2');
    const first = root.lookup(PDFName.of('First'), PDFDict);
    const last = root.lookup(PDFName.of('Last'), PDFDict);
    expect(first.lookup(PDFName.of('Title'), PDFHexString).decodeText()).toBe('A');
    expect(context.lookup(first.get(PDFName.of('Next')))).toBe(last);
    expect(context.lookup(last.get(PDFName.of('Prev')))).toBe(first);
    expect(context.lookup(last.get(PDFName.of('Parent')))).toBe(root);
  });

  it('adds nothing for no entries', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    addOutline(doc, []);
    expect(doc.catalog.get(PDFName.of('Outlines'))).toBeUndefined();
  });
});

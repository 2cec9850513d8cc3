// Bookmarks (the PDF "outline"): one entry per story, pointing at its page.
// pdf-lib has no outline API, so the /Outlines tree is built from its
// low-level objects (PDF 1.7, §12.3.3): a root dictionary with /First,
// /Last and /Count, and one item per entry with /Title, /Parent, /Prev,
// /Next and a /Dest. A flat list is all a report needs.
import { PDFHexString, PDFName, PDFNull, PDFNumber, type PDFDict, type PDFDocument, type PDFPage, type PDFRef } from 'pdf-lib';

export interface OutlineEntry {
  title: string;
  page: PDFPage;
}

/**
 * Adds the entries as top-level bookmarks and asks viewers to open with the
 * bookmarks panel showing. Titles are written as UTF-16 text strings, so any
 * language survives.
 */
export function addOutline(doc: PDFDocument, entries: OutlineEntry[]): void {
  if (entries.length === 0) return;
  const { context } = doc;
  const rootRef = context.nextRef();
  const refs: PDFRef[] = entries.map(() => context.nextRef());

  entries.forEach((entry, i) => {
    const { height } = entry.page.getSize();
    const item: PDFDict = context.obj({
      Title: PDFHexString.fromText(entry.title),
      Parent: rootRef,
      // Top-left of the page, zoom unchanged (null): the reader keeps their zoom.
      Dest: context.obj([entry.page.ref, PDFName.of('XYZ'), PDFNumber.of(0), PDFNumber.of(height), PDFNull]),
    });
    const prev = refs[i - 1];
    const next = refs[i + 1];
    if (prev) item.set(PDFName.of('Prev'), prev);
    if (next) item.set(PDFName.of('Next'), next);
    context.assign(refs[i] as PDFRef, item);
  });

  context.assign(
    rootRef,
    context.obj({
      Type: 'Outlines',
      First: refs[0],
      Last: refs[refs.length - 1],
      Count: PDFNumber.of(entries.length),
    }),
  );
  doc.catalog.set(PDFName.of('Outlines'), rootRef);
  doc.catalog.set(PDFName.of('PageMode'), PDFName.of('UseOutlines'));
}

// Reading PDFs the way a person's tools do: poppler (pdfinfo, pdftotext,
// pdftoppm) and qpdf, run on a file written to a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PNG } from 'pngjs';
import { decodePng } from './image.js';

const dir = mkdtempSync(join(tmpdir(), 'courier-pdf-'));
let counter = 0;

/** Writes the bytes to a fresh file and returns its path (kept for inspection after a failure). */
export function pdfFile(data: Uint8Array, name = 'report'): string {
  const file = join(dir, `${name}-${++counter}.pdf`);
  writeFileSync(file, data);
  return file;
}

/** pdfinfo's fields: "Title", "Author", "Pages", "Producer", "CreationDate"… */
export function pdfInfo(file: string): Record<string, string> {
  const out = execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' });
  const fields: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const match = /^([^:]+):\s*(.*)$/.exec(line);
    if (match?.[1]) fields[match[1].trim()] = (match[2] ?? '').trim();
  }
  return fields;
}

/** Text of one page (1-based), or of the whole file, in reading order (-raw keeps "2 / 4" as drawn). */
export function pdfText(file: string, page?: number): string {
  const range = page ? ['-f', String(page), '-l', String(page)] : [];
  return execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', ...range, file, '-'], { encoding: 'utf8' });
}

/** One page rasterised by poppler at `dpi`, decoded. */
export function pdfPagePng(file: string, page: number, dpi = 50): PNG {
  const prefix = join(dir, `page-${++counter}`);
  execFileSync('pdftoppm', ['-png', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  return decodePng(readFileSync(`${prefix}.png`));
}

export interface OutlineItem {
  title: string;
  /** 1-based page the bookmark opens. */
  page: number | null;
  kids: OutlineItem[];
}

interface QpdfOutline {
  title: string;
  destpageposfrom1: number | null;
  kids: QpdfOutline[];
}

/** The bookmarks as qpdf reads them. */
export function pdfOutlines(file: string): OutlineItem[] {
  const json = JSON.parse(execFileSync('qpdf', ['--json', '--json-key=outlines', file], { encoding: 'utf8' })) as { outlines: QpdfOutline[] };
  const map = (items: QpdfOutline[]): OutlineItem[] => items.map((o) => ({ title: o.title, page: o.destpageposfrom1, kids: map(o.kids) }));
  return map(json.outlines);
}

/** qpdf's structural check: exits non-zero on a damaged file. */
export function qpdfCheck(file: string): string {
  return execFileSync('qpdf', ['--check', file], { encoding: 'utf8' });
}

/** Fonts poppler finds, one line each (name, type, embedded, subset, unicode map). */
export function pdfFonts(file: string): string {
  return execFileSync('pdffonts', [file], { encoding: 'utf8' });
}

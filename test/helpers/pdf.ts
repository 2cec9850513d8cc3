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

/** A structure element as read back from the file: its type, text attributes, kids in order, and its marked content. */
export interface StructNode {
  type: string;
  ref: string;
  alt?: string;
  lang?: string;
  /** The element's marked content: MCID, the page (1-based) and the form XObject it lies in, if any. */
  content: { mcid: number; page: number | null; stream: string | null }[];
  kids: StructNode[];
}

export interface TagsView {
  /** The catalog's entries, as qpdf writes them (names "/X", text strings "u:…", references "n 0 R"). */
  catalog: Record<string, unknown>;
  viewerPreferences: Record<string, unknown>;
  markInfo: Record<string, unknown>;
  /** The StructTreeRoot's elements, in order; null when the file has none. */
  tree: StructNode[] | null;
  /** Problems found between the tree and the ParentTree (each MCID must lead back to its element). */
  parentTreeProblems: string[];
}

type QpdfValue = string | number | boolean | null | QpdfValue[] | { [key: string]: QpdfValue };

/** The tags of a PDF (structure tree, ParentTree, MarkInfo, catalog), read with `qpdf --json`. */
export function pdfTags(file: string): TagsView {
  const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-key=pages', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as {
    qpdf: [unknown, Record<string, { value?: QpdfValue; stream?: { dict: QpdfValue } }>];
    pages: { object: string }[];
  };
  const objects = json.qpdf[1];
  const get = (ref: QpdfValue | undefined): QpdfValue | undefined => {
    if (typeof ref === 'string' && / \d+ R$/.test(ref)) {
      const entry = objects[`obj:${ref}`];
      return entry?.value ?? entry?.stream?.dict;
    }
    return ref;
  };
  const dict = (value: QpdfValue | undefined): Record<string, QpdfValue> => {
    const v = get(value);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  };
  const text = (value: QpdfValue | undefined): string | undefined => {
    const v = get(value);
    if (typeof v !== 'string') return undefined;
    if (v.startsWith('u:')) return v.slice(2);
    if (v.startsWith('b:')) return Buffer.from(v.slice(2), 'hex').toString('latin1');
    return v;
  };
  const pageOf = new Map(json.pages.map((p, i) => [p.object, i + 1]));
  const trailer = dict(objects['trailer']?.value ?? null);
  const catalog = dict(trailer['/Root']);
  const root = catalog['/StructTreeRoot'] ? dict(catalog['/StructTreeRoot']) : null;

  // The ParentTree as key -> entries (number tree: /Nums, or /Kids down to them).
  const parentTree = new Map<number, QpdfValue>();
  const walkNums = (node: Record<string, QpdfValue>) => {
    const nums = get(node['/Nums']);
    if (Array.isArray(nums)) for (let i = 0; i + 1 < nums.length; i += 2) parentTree.set(nums[i] as number, nums[i + 1] as QpdfValue);
    const kids = get(node['/Kids']);
    if (Array.isArray(kids)) for (const kid of kids) walkNums(dict(kid));
  };
  if (root?.['/ParentTree']) walkNums(dict(root['/ParentTree']));

  const problems: string[] = [];
  const node = (ref: QpdfValue): StructNode => {
    const d = dict(ref);
    const result: StructNode = { type: typeof d['/S'] === 'string' ? d['/S'].replace(/^\//, '') : '', ref: typeof ref === 'string' ? ref : '(direct)', content: [], kids: [] };
    const alt = text(d['/Alt']);
    if (alt !== undefined) result.alt = alt;
    const lang = text(d['/Lang']);
    if (lang !== undefined) result.lang = lang;
    const kidsValue = get(d['/K']);
    const kids = kidsValue === undefined ? [] : Array.isArray(kidsValue) ? kidsValue : [kidsValue];
    for (const kid of kids) {
      let mcid: number | null = null;
      let pageRef = d['/Pg'] as string | undefined;
      let stream: string | null = null;
      if (typeof kid === 'number') mcid = kid;
      else {
        const k = dict(kid);
        if (k['/Type'] === '/MCR') {
          mcid = k['/MCID'] as number;
          pageRef = (k['/Pg'] as string | undefined) ?? pageRef;
          stream = (k['/Stm'] as string | undefined) ?? null;
        } else if (k['/Type'] === '/OBJR') continue;
        else {
          result.kids.push(node(kid));
          continue;
        }
      }
      result.content.push({ mcid, page: pageRef ? (pageOf.get(pageRef) ?? null) : null, stream });
      // The way back: StructParents of the stream (or of the page) -> ParentTree entry -> this element.
      const owner = stream ? dict(stream) : dict(pageRef);
      const key = owner['/StructParents'];
      const entries = get(typeof key === 'number' ? parentTree.get(key) : undefined);
      const back = Array.isArray(entries) ? entries[mcid] : undefined;
      if (back !== ref) problems.push(`${result.type} ${JSON.stringify(ref)}: MCID ${mcid} of ${stream ?? pageRef} leads back to ${JSON.stringify(back)}`);
    }
    return result;
  };
  const top = root ? get(root['/K']) : undefined;
  const tree = root ? (top === undefined ? [] : Array.isArray(top) ? top : [top]).map(node) : null;
  return { catalog, viewerPreferences: dict(catalog['/ViewerPreferences']), markInfo: dict(catalog['/MarkInfo']), tree, parentTreeProblems: problems };
}

/** The elements of a tree, depth first (reading order). */
export function flattenTags(nodes: StructNode[]): StructNode[] {
  return nodes.flatMap((n) => [n, ...flattenTags(n.kids)]);
}

/** poppler's reading of the tags with the text each element holds (`pdfinfo -struct-text`). */
export function pdfStructText(file: string): string {
  return execFileSync('pdfinfo', ['-struct-text', file], { encoding: 'utf8' });
}

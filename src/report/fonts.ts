// Text in any language, as real (selectable) PDF text. Report titles come
// from people: "Ventes – Île-de-France", "Straße", "Ελληνικά", "売上レポート".
// pdf-lib's standard Helvetica knows only WinAnsi and throws on the rest, so
// we embed system fonts (subset: only the glyphs used) and pick, for each
// character, the first font of a chain that has it:
//
//   Noto Sans (fonts-noto-core): Latin, Greek, Cyrillic
//   Noto Sans CJK (fonts-noto-cjk): Chinese, Japanese, Korean
//   DejaVu Sans (fonts-dejavu-core): symbols, arrows, box drawing…
//   then whatever fontconfig (fc-match) finds for a character none of these has
//
// A character no font has becomes U+FFFD (or "?"): drawing never throws.
// With no font at all, Helvetica (WinAnsi only) keeps the report readable.
//
// Fonts are read with upstream fontkit 2, not @pdf-lib/fontkit: that fork
// (1.1.1, unmaintained) cannot open font collections (.ttc, which is how
// Debian ships Noto CJK) and writes subsets that poppler and Acrobat reject
// (Hopding/pdf-lib#1232). pdf-lib accepts any object with a fontkit-like
// `create`; the adapter below bridges the one API difference.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import { StandardFonts, type PDFDocument, type PDFFont, type PDFPage, type RGB } from 'pdf-lib';

export type FontWeight = 'regular' | 'bold';

/** A font file, or one font of a collection (.ttc) named by its PostScript name. */
export interface FontFile {
  path: string;
  postscriptName?: string;
}

/** One font of a chain: what it covers, and how to put it in a document. */
export interface Face {
  key: string;
  covers(codePoint: number): boolean;
  embed(doc: PDFDocument): Promise<PDFFont>;
}

/** Noto CJK's collections hold one font per region: the same characters, drawn the local way. */
export type CjkRegion = 'jp' | 'kr' | 'sc' | 'tc' | 'hk';

interface Family {
  files: Record<FontWeight, string>;
  /** fontconfig pattern when the file is not at its Debian path. */
  patterns: Record<FontWeight, string>;
  member?: (region: CjkRegion, weight: FontWeight) => string;
}

const FAMILIES: Family[] = [
  {
    files: { regular: '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', bold: '/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf' },
    patterns: { regular: 'Noto Sans:style=Regular', bold: 'Noto Sans:style=Bold' },
  },
  {
    files: { regular: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', bold: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc' },
    patterns: { regular: 'Noto Sans CJK JP:style=Regular', bold: 'Noto Sans CJK JP:style=Bold' },
    member: (region, weight) => `NotoSansCJK${region}-${weight === 'bold' ? 'Bold' : 'Regular'}`,
  },
  {
    files: { regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
    patterns: { regular: 'DejaVu Sans:style=Book', bold: 'DejaVu Sans:style=Bold' },
  },
];

/** The Debian packages whose fonts the chain prefers (README, doctor hints). */
export const FONT_PACKAGES = ['fonts-noto-core', 'fonts-noto-cjk', 'fonts-dejavu-core'] as const;

/** Asks fontconfig for the best file for a pattern; null without fontconfig. */
function fcMatch(pattern: string): FontFile | null {
  try {
    const out = execFileSync('fc-match', ['--format=%{file}\t%{postscriptname}', pattern], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const [path, postscriptName] = out.split('\t');
    if (!path || !/\.(ttf|otf|ttc|otc)$/i.test(path) || !existsSync(path)) return null;
    // Only a collection needs (and accepts) the member's name.
    return /\.(ttc|otc)$/i.test(path) && postscriptName ? { path, postscriptName } : { path };
  } catch {
    return null;
  }
}

/** The region whose glyph shapes suit the text: the job's language first, then the scripts it contains. */
export function cjkRegionFor(lang: string | undefined, texts: string[]): CjkRegion {
  const tag = (lang ?? '').toLowerCase();
  if (tag.startsWith('ja')) return 'jp';
  if (tag.startsWith('ko')) return 'kr';
  if (/^zh-(hk|mo)/.test(tag)) return 'hk';
  if (/^zh-(tw|hant)/.test(tag)) return 'tc';
  if (tag.startsWith('zh')) return 'sc';
  const all = texts.join('');
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(all)) return 'jp';
  if (/\p{Script=Hangul}/u.test(all)) return 'kr';
  return 'sc';
}

/** The font files of the chain for one weight, in order, skipping what is not installed. */
export function chainFiles(weight: FontWeight, region: CjkRegion): FontFile[] {
  const found: FontFile[] = [];
  for (const family of FAMILIES) {
    const path = family.files[weight];
    const file: FontFile | null = existsSync(path) ? { path } : fcMatch(family.patterns[weight]);
    if (!file) continue;
    if (family.member && /\.(ttc|otc)$/i.test(file.path)) file.postscriptName = family.member(region, weight);
    if (!found.some((f) => f.path === file.path && f.postscriptName === file.postscriptName)) found.push(file);
  }
  return found;
}

// ---------------------------------------------------------------- faces

interface OpenedFont {
  font: fontkit.Font;
  bytes: Uint8Array;
}

const opened = new Map<string, OpenedFont | null>();

/** Opens a font file once per thread (Noto CJK is 19 MB); null when fontkit cannot read it. */
function openFont(file: FontFile): OpenedFont | null {
  const key = `${file.path}#${file.postscriptName ?? ''}`;
  if (opened.has(key)) return opened.get(key) ?? null;
  let result: OpenedFont | null = null;
  try {
    const bytes = readFileSync(file.path);
    const font = fontkit.create(bytes, file.postscriptName);
    // A collection opened without (or with an unknown) member name: take its first font.
    const single = 'fonts' in font ? font.fonts[0] : font;
    result = single ? { font: single, bytes } : null;
  } catch {
    result = null;
  }
  opened.set(key, result);
  return result;
}

/**
 * pdf-lib's view of fontkit: `create(bytes)` returning a font whose subsets
 * have `encodeStream()`. Upstream fontkit 2 encodes subsets synchronously
 * (`encode()`); we hand pdf-lib the already-opened font (it also picks the
 * right member of a collection, which pdf-lib cannot ask for) with subsets
 * that emit their encoded bytes as the one chunk of a stream.
 */
type PdfLibFontkit = Parameters<PDFDocument['registerFontkit']>[0];

interface FontkitSubset {
  includeGlyph(glyph: number | fontkit.Glyph): number;
  encode(): Uint8Array;
  cff?: unknown;
}

function fontkitFor(font: fontkit.Font): PdfLibFontkit {
  const create = () => {
    // Inherits every field and getter of the font; only createSubset differs.
    const view = Object.create(font) as Record<string, unknown>;
    view.createSubset = () => {
      // @types/fontkit declares includeGlyph as returning a boolean; fontkit returns the glyph's id in the subset.
      const subset = font.createSubset() as unknown as FontkitSubset;
      return {
        includeGlyph: (glyph: number | fontkit.Glyph) => subset.includeGlyph(glyph),
        /** pdf-lib writes a CFF subset as FontFile3 and a TrueType one as FontFile2. */
        cff: subset.cff,
        encodeStream: () => {
          const stream = new EventEmitter();
          setImmediate(() => {
            try {
              stream.emit('data', subset.encode());
              stream.emit('end');
            } catch (err) {
              stream.emit('error', err);
            }
          });
          return stream;
        },
      };
    };
    return view;
  };
  // The shapes agree where pdf-lib looks (layout, glyphs, metrics, subsets);
  // their declared types come from two different fontkit versions.
  return { create } as unknown as PdfLibFontkit;
}

/**
 * A face backed by a font file, opened on first use: a report with Latin
 * titles never reads the 20 MB CJK collections further down the chain.
 * A file fontkit cannot read covers nothing.
 */
function fileFace(file: FontFile): Face {
  const load = () => openFont(file);
  return {
    key: `${file.path}#${file.postscriptName ?? ''}`,
    covers: (cp) => load()?.font.hasGlyphForCodePoint(cp) ?? false,
    async embed(doc) {
      const opened = load();
      if (!opened) throw new Error(`cannot read the font ${file.path}`);
      // pdf-lib reads the registered fontkit when embedFont starts; the
      // caller embeds one face at a time, so this registration is the one used.
      doc.registerFontkit(fontkitFor(opened.font));
      return doc.embedFont(opened.bytes, { subset: true });
    },
  };
}

/** Code points Helvetica can draw in pdf-lib (WinAnsi). */
const WIN_ANSI_EXTRA = new Set([0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178]);

/** The last resort when no font file is installed: readable for Western text, "?" for the rest. */
export function helveticaFace(weight: FontWeight): Face {
  return {
    key: `helvetica-${weight}`,
    covers: (cp) => (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp),
    embed: (doc) => doc.embedFont(weight === 'bold' ? StandardFonts.HelveticaBold : StandardFonts.Helvetica),
  };
}

/** A font fontconfig proposes for one character, when it really has it. */
function fallbackFaceFor(codePoint: number): Face | null {
  const file = fcMatch(`sans-serif:charset=${codePoint.toString(16)}`);
  const face = file ? fileFace(file) : null;
  return face?.covers(codePoint) ? face : null;
}

// ---------------------------------------------------------------- text

/** One line of plain text: NFC, no control characters, single spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const REPLACEMENTS = ['\uFFFD', '?'];

export interface Run {
  text: string;
  /** Index of the face in the chain. */
  face: number;
}

/**
 * Splits text into runs of one face each: every character goes to the first
 * face that has it. A character no face has becomes the first replacement
 * some face has, and an invisible one (joiners, variation selectors) is dropped.
 */
export function splitRuns(text: string, covers: ((cp: number) => boolean)[]): Run[] {
  const runs: Run[] = [];
  const faceOf = (cp: number) => covers.findIndex((c) => c(cp));
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    let face = faceOf(cp);
    let drawn = char;
    if (face < 0) {
      if (IGNORABLE.test(char)) continue;
      drawn = REPLACEMENTS.find((r) => faceOf(r.codePointAt(0) ?? 0) >= 0) ?? '';
      face = faceOf(drawn.codePointAt(0) ?? 0);
      if (face < 0) continue;
    }
    const last = runs[runs.length - 1];
    if (last && last.face === face) last.text += drawn;
    else runs.push({ text: drawn, face });
  }
  return runs;
}

export interface DrawOptions {
  x: number;
  y: number;
  size: number;
  weight?: FontWeight;
  color: RGB;
}

/** Measures and draws text with a document's embedded font chains. */
export interface TextSetter {
  width(text: string, size: number, weight?: FontWeight): number;
  /** Draws one line at (x, baseline y); returns its width. */
  draw(page: PDFPage, text: string, options: DrawOptions): number;
}

export interface TextSetterOptions {
  lang?: string;
  /** Font chains to use instead of the system's, fontconfig's per-character fallback included (tests). */
  faces?: Record<FontWeight, Face[]>;
}

/** Most distinct characters for which fontconfig is asked for a font: a bound on the time spent on exotic text. */
const MAX_FALLBACK_LOOKUPS = 24;

/**
 * Prepares the fonts for a document that will print `texts` (per weight):
 * only the faces some character needs are embedded, each as a subset.
 */
export async function createTextSetter(doc: PDFDocument, texts: Record<FontWeight, string[]>, options: TextSetterOptions = {}): Promise<TextSetter> {
  const region = cjkRegionFor(options.lang, [...texts.regular, ...texts.bold]);
  const system = (weight: FontWeight) => chainFiles(weight, region).map(fileFace);
  const regularFaces = options.faces?.regular ?? system('regular');
  // Bold falls back to regular faces for scripts without a bold font.
  const boldFaces = options.faces?.bold ?? [...system('bold'), ...regularFaces];
  // Without fontconfig fallback when the chains are given: they are the whole story.
  let lookups = options.faces ? MAX_FALLBACK_LOOKUPS : 0;
  const embedded = new Map<string, PDFFont>();

  const prepare = async (faces: Face[], strings: string[]): Promise<{ faces: Face[]; fonts: PDFFont[] }> => {
    const candidates = faces.length > 0 ? [...faces] : [helveticaFace(faces === boldFaces ? 'bold' : 'regular')];
    const needed = new Set<string>();
    for (const s of strings) for (const char of normalizeText(s)) needed.add(char);
    needed.add(REPLACEMENTS[1] ?? '?');
    // Characters none of the chain has: ask fontconfig, a few lookups at most.
    for (const char of needed) {
      const cp = char.codePointAt(0) ?? 0;
      if (candidates.some((f) => f.covers(cp)) || IGNORABLE.test(char) || lookups >= MAX_FALLBACK_LOOKUPS) continue;
      lookups++;
      const extra = fallbackFaceFor(cp);
      if (extra && !candidates.some((f) => f.key === extra.key)) candidates.push(extra);
    }
    // Keep only faces that are first to cover some needed character.
    const used = new Set<number>();
    for (const char of needed) {
      const index = candidates.findIndex((f) => f.covers(char.codePointAt(0) ?? 0));
      if (index >= 0) used.add(index);
    }
    const chain = candidates.filter((_, i) => used.has(i));
    const fonts: PDFFont[] = [];
    for (const face of chain) {
      let font = embedded.get(face.key);
      if (!font) {
        font = await face.embed(doc);
        embedded.set(face.key, font);
      }
      fonts.push(font);
    }
    return { faces: chain, fonts };
  };

  const chains = {
    regular: await prepare(regularFaces, texts.regular),
    bold: await prepare(boldFaces, texts.bold),
  };

  const runsOf = (text: string, weight: FontWeight) => {
    const chain = chains[weight];
    return splitRuns(
      normalizeText(text),
      chain.faces.map((f) => (cp: number) => f.covers(cp)),
    ).map((run) => ({ text: run.text, font: chain.fonts[run.face] as PDFFont }));
  };

  return {
    width(text, size, weight = 'regular') {
      return runsOf(text, weight).reduce((sum, run) => sum + run.font.widthOfTextAtSize(run.text, size), 0);
    },
    draw(page, text, { x, y, size, weight = 'regular', color }) {
      let at = x;
      for (const run of runsOf(text, weight)) {
        page.drawText(run.text, { x: at, y, size, font: run.font, color });
        at += run.font.widthOfTextAtSize(run.text, size);
      }
      return at - x;
    },
  };
}

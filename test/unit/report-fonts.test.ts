// Font chains with the real system fonts (fonts-noto-core, fonts-noto-cjk,
// fonts-dejavu-core), read back with poppler.
import { PDFDocument, rgb } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { chainFiles, cjkRegionFor, createTextSetter, normalizeText, splitRuns } from '../../src/report/fonts.js';
import { pdfFile, pdfFonts, pdfPagePng, pdfText } from '../helpers/pdf.js';
import type { PNG } from 'pngjs';

const BLACK = rgb(0, 0, 0);

/** Dark pixels in a band of the page image (top-left origin, in pixels). */
function inkIn(png: PNG, y0: number, y1: number): number {
  let count = 0;
  for (let y = Math.max(0, y0); y < Math.min(png.height, y1); y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (png.width * y + x) * 4;
      if ((png.data[i] ?? 255) < 100 && (png.data[i + 1] ?? 255) < 100 && (png.data[i + 2] ?? 255) < 100) count++;
    }
  }
  return count;
}

describe('choosing a font per character', () => {
  const latin = (cp: number) => cp < 0x250 || cp === 0xfffd;
  const cjk = (cp: number) => cp >= 0x3000 && cp < 0xa000;

  it('splits text into runs of the first face that has each character', () => {
    expect(splitRuns('Sales 売上 Q3', [latin, cjk])).toEqual([
      { text: 'Sales ', face: 0 },
      { text: '売上', face: 1 },
      { text: ' Q3', face: 0 },
    ]);
  });

  it('replaces a character no face has, and drops an invisible one', () => {
    expect(splitRuns('a\u0E44b', [latin])).toEqual([{ text: 'a\uFFFDb', face: 0 }]);
    expect(splitRuns('a\u200Db\uFE0F', [latin])).toEqual([{ text: 'ab', face: 0 }]);
    expect(splitRuns('\u0E44', [cjk])).toEqual([]);
  });

  it('normalises titles to one line of composed characters', () => {
    expect(normalizeText('  Cafe\u0301\n\tweekly\u0000  ')).toBe('Café weekly');
  });

  it('picks the CJK region from the language, then from the script', () => {
    expect(cjkRegionFor('ja-JP', [])).toBe('jp');
    expect(cjkRegionFor('zh-TW', [])).toBe('tc');
    expect(cjkRegionFor('zh-HK', [])).toBe('hk');
    expect(cjkRegionFor('zh', [])).toBe('sc');
    expect(cjkRegionFor(undefined, ['売上レポート'])).toBe('jp');
    expect(cjkRegionFor('en', ['매출 보고서'])).toBe('kr');
    expect(cjkRegionFor(undefined, ['销售报告'])).toBe('sc');
  });

  it('finds the Debian fonts, and the right font of the CJK collection', () => {
    const files = chainFiles('bold', 'jp');
    expect(files[0]?.path).toMatch(/NotoSans-Bold\.ttf$/);
    expect(files).toContainEqual({ path: expect.stringMatching(/NotoSansCJK-Bold\.ttc$/) as string, postscriptName: 'NotoSansCJKjp-Bold' });
  });
});

describe('drawing text in any language', () => {
  it('embeds subsets that poppler draws and extracts: Latin, Greek, CJK and Thai (found by fontconfig)', async () => {
    const doc = await PDFDocument.create();
    const lines = ['Straße · Île-de-France', 'Ελληνικά', '売上レポート 中文', 'ไทย'];
    const text = await createTextSetter(doc, { regular: lines, bold: [] });
    const page = doc.addPage([400, 300]);
    lines.forEach((line, i) => text.draw(page, line, { x: 20, y: 250 - i * 60, size: 24, color: BLACK }));
    const file = pdfFile(await doc.save(), 'fonts');

    const extracted = pdfText(file);
    for (const line of lines) expect(extracted).toContain(line);
    const fonts = pdfFonts(file);
    expect(fonts).toMatch(/NotoSans-Regular/);
    expect(fonts).toMatch(/NotoSansCJKjp-Regular/);
    expect(fonts).toMatch(/NotoSansThai/);
    // Every line is really drawn: a broken subset extracts fine but renders blank.
    const image = pdfPagePng(file, 1, 72);
    lines.forEach((_, i) => {
      const baseline = 300 - (250 - i * 60);
      expect(inkIn(image, baseline - 24, baseline + 6), `ink on line ${i + 1}`).toBeGreaterThan(40);
    });
  });

  it('never throws on a character no font has, and measures what it draws', async () => {
    const doc = await PDFDocument.create();
    const text = await createTextSetter(doc, { regular: [], bold: ['Q3 \u{10FFFD} ok'] });
    const page = doc.addPage([300, 100]);
    const drawn = text.draw(page, 'Q3 \u{10FFFD} ok', { x: 10, y: 50, size: 12, weight: 'bold', color: BLACK });
    expect(drawn).toBeCloseTo(text.width('Q3 \u{10FFFD} ok', 12, 'bold'), 6);
    expect(drawn).toBeGreaterThan(0);
    const extracted = pdfText(pdfFile(await doc.save(), 'missing-glyph'));
    expect(extracted).toMatch(/Q3 \uFFFD ok/);
  });

  it('falls back to Helvetica (WinAnsi) without font files, replacing what it cannot draw', async () => {
    const doc = await PDFDocument.create();
    const text = await createTextSetter(doc, { regular: ['Straße 中文'], bold: [] }, { faces: { regular: [], bold: [] } });
    const page = doc.addPage([300, 100]);
    text.draw(page, 'Straße 中文', { x: 10, y: 50, size: 12, color: BLACK });
    expect(pdfText(pdfFile(await doc.save(), 'helvetica'))).toContain('Straße ??');
  });
});

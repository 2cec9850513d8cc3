// PNG pixel data copied into a PDF without decoding, checked by rendering
// the PDF with poppler and comparing colours with the source image.
import { PDFDocument } from 'pdf-lib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { canPassThrough, drawImageRef, embedPngPassThrough, readPng } from '../../src/report/png.js';
import { pdfFile, pdfPagePng } from '../helpers/pdf.js';

/** A 40 × 20 PNG: left half blue (#2f6fde), right half orange; colour type 2 (RGB) or 6 (RGBA). */
function twoColourPng(colorType: 2 | 6): Uint8Array {
  const png = new PNG({ width: 40, height: 20, colorType, inputHasAlpha: true });
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) {
      const i = (40 * y + x) * 4;
      const [r, g, b] = x < 20 ? [0x2f, 0x6f, 0xde] : [0xf0, 0x90, 0x20];
      png.data.set([r, g, b, 255], i);
    }
  }
  return new Uint8Array(PNG.sync.write(png, { colorType }));
}

describe('PNG pass-through', () => {
  it('reads the header and joins the pixel data of a PNG', () => {
    const info = readPng(twoColourPng(2));
    expect(info).toMatchObject({ width: 40, height: 20, bitDepth: 8, colorType: 2, interlaced: false });
    expect(info!.data.byteLength).toBeGreaterThan(0);
    expect(canPassThrough(info!)).toBe(true);
  });

  it('leaves PNGs with alpha to the decoding path, and refuses what is not a PNG', () => {
    expect(canPassThrough(readPng(twoColourPng(6))!)).toBe(false);
    expect(readPng(new TextEncoder().encode('not a png at all, not even close'))).toBeNull();
    expect(readPng(twoColourPng(2).subarray(0, 40))).toBeNull();
  });

  it('gives a PDF image that renders the same colours where they were', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([80, 40]);
    drawImageRef(page, embedPngPassThrough(doc, readPng(twoColourPng(2))!), { x: 0, y: 0, width: 80, height: 40 });
    const image = pdfPagePng(pdfFile(await doc.save(), 'png'), 1, 72);
    const at = (x: number, y: number) => Array.from(image.data.subarray((image.width * y + x) * 4, (image.width * y + x) * 4 + 3));
    expect(at(10, 20)).toEqual([0x2f, 0x6f, 0xde]);
    expect(at(70, 20)).toEqual([0xf0, 0x90, 0x20]);
  });
});

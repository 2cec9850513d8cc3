// A PNG embedded without decoding it. The compressed pixel data of a PNG
// (its IDAT chunks) is exactly what a PDF image with FlateDecode and PNG
// predictors (/Predictor 15) holds, so an opaque, non-interlaced 8-bit PNG
// (what Chromium's screenshots are) is copied into the PDF as it is: no
// decoding, no recompression, no megabytes of raw pixels per page held until
// the document is saved. Other PNGs (alpha, palette, interlaced, 16-bit) go
// through pdf-lib's embedPng, which decodes them.
import { degrees, drawImage, type PDFDocument, type PDFPage, type PDFRef } from 'pdf-lib';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGB + alpha. */
  colorType: number;
  interlaced: boolean;
  /** The concatenated IDAT chunks: one zlib stream. */
  data: Uint8Array;
}

/** Reads a PNG's header and pixel data chunks; null when the bytes are not a well-formed PNG. */
export function readPng(bytes: Uint8Array): PngInfo | null {
  if (bytes.byteLength < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let header: Omit<PngInfo, 'data'> | null = null;
  for (let at = 8; at + 12 <= bytes.byteLength; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
    const start = at + 8;
    if (start + length + 4 > bytes.byteLength) return null;
    if (type === 'IHDR') {
      header = {
        width: view.getUint32(start),
        height: view.getUint32(start + 4),
        bitDepth: bytes[start + 8] ?? 0,
        colorType: bytes[start + 9] ?? 0,
        interlaced: bytes[start + 12] === 1,
      };
    } else if (type === 'IDAT') {
      parts.push(bytes.subarray(start, start + length));
    } else if (type === 'IEND') {
      break;
    }
    at = start + length + 4;
  }
  if (!header || parts.length === 0) return null;
  const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.byteLength;
  }
  return { ...header, data };
}

/** True when the PNG's IDAT can serve as a PDF image stream unchanged. */
export function canPassThrough(png: PngInfo): boolean {
  return png.bitDepth === 8 && !png.interlaced && (png.colorType === 0 || png.colorType === 2);
}

/** Adds the PNG's pixel data as an image XObject, untouched. */
export function embedPngPassThrough(doc: PDFDocument, png: PngInfo): PDFRef {
  const colors = png.colorType === 2 ? 3 : 1;
  const image = doc.context.stream(png.data, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: png.width,
    Height: png.height,
    ColorSpace: colors === 3 ? 'DeviceRGB' : 'DeviceGray',
    BitsPerComponent: 8,
    Filter: 'FlateDecode',
    DecodeParms: { Predictor: 15, Colors: colors, BitsPerComponent: 8, Columns: png.width },
  });
  return doc.context.register(image);
}

/** Draws an image XObject into a box of the page. */
export function drawImageRef(page: PDFPage, image: PDFRef, box: { x: number; y: number; width: number; height: number }): void {
  const name = page.node.newXObject('Image', image);
  page.pushOperators(...drawImage(name, { ...box, rotate: degrees(0), xSkew: degrees(0), ySkew: degrees(0) }));
}

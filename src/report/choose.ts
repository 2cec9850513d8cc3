// Vector or raster, per story page. Pure: facts about the two captures in,
// a choice and its reason out.
//
// Vector (Chromium's page.pdf of the element) is the better page almost
// always: text stays text (selectable, searchable, sharp at any zoom and on
// any printer) and a chart is a few dozen kilobytes. It loses in three cases:
//  - it is not usable: missing, unreadable, or not exactly one page (a
//    story taller than its PDF page would be cut);
//  - it is heavy: thousands of SVG paths (dense scatter plots, maps) make a
//    file that is both large and slow to display and print, while the PNG
//    of the same element stays bounded by its pixel count;
//  - it is a raster in disguise: a story drawn on <canvas> (or a map made of
//    tiles) prints as embedded images, so the "vector" page has no text to
//    select and its images are no sharper than our 2x PNG, which at least
//    shows exactly what the browser showed.
import type { PageChoice } from './types.js';

/** A vector capture larger than this and than VECTOR_TO_RASTER_RATIO × the PNG counts as heavy. */
export const HEAVY_VECTOR_BYTES = 512 * 1024;
export const VECTOR_TO_RASTER_RATIO = 2;
/** Share of the vector capture's bytes in embedded images above which it is a raster in disguise. */
export const IMAGE_SHARE = 0.5;

export interface CaptureFacts {
  /** Bytes of the vector capture; null when there is none. */
  vectorBytes: number | null;
  /** Pages of the vector capture; null when it could not be read. */
  vectorPages: number | null;
  /** Bytes of image streams inside the vector capture. */
  vectorImageBytes: number;
  /** Bytes of the PNG; null when there is none. */
  rasterBytes: number | null;
}

export interface Choice {
  choice: PageChoice;
  reason: string;
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

export function choosePage(facts: CaptureFacts): Choice {
  const { vectorBytes, vectorPages, vectorImageBytes, rasterBytes } = facts;
  const hasRaster = rasterBytes !== null;
  if (vectorBytes === null) {
    if (!hasRaster) throw new Error('a report page needs a PDF or a PNG capture');
    return { choice: 'raster', reason: 'no vector capture' };
  }
  if (vectorPages === null || vectorPages !== 1) {
    if (!hasRaster) throw new Error(vectorPages === null ? 'the vector capture cannot be read and there is no PNG' : `the vector capture has ${vectorPages} pages and there is no PNG`);
    return { choice: 'raster', reason: vectorPages === null ? 'vector capture unreadable' : `vector capture has ${vectorPages} pages (the story would be cut)` };
  }
  if (!hasRaster) return { choice: 'vector', reason: 'no raster capture' };
  if (vectorBytes > HEAVY_VECTOR_BYTES && vectorBytes > VECTOR_TO_RASTER_RATIO * rasterBytes) {
    return { choice: 'raster', reason: `vector capture is heavy (${kb(vectorBytes)} against ${kb(rasterBytes)} as PNG)` };
  }
  if (vectorImageBytes > IMAGE_SHARE * vectorBytes) {
    return { choice: 'raster', reason: `vector capture is mostly images (${kb(vectorImageBytes)} of ${kb(vectorBytes)}: canvas or tiles)` };
  }
  return { choice: 'vector', reason: `vector (${kb(vectorBytes)}; PNG ${kb(rasterBytes)})` };
}

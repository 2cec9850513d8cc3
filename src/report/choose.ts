// Vector or raster, per story page, chosen before anything is captured.
// Pure: the survey of the ready element in (story-shape.ts), a choice and
// its reason out. The page is then captured once, in the chosen form (a
// report page used to be captured twice, as a PDF and a PNG, and one of the
// two thrown away: half of a report's capture time).
//
// Vector (Chromium's page.pdf of the element) is the better page almost
// always: text stays text (selectable, searchable, sharp at any zoom and on
// any printer) and a chart is a few dozen kilobytes. It loses in two cases:
//  - it is heavy: thousands of SVG shapes (dense scatter plots, maps) make
//    a file that is both large and slow to display and print, while the
//    PNG of the same element stays bounded by its pixel count;
//  - it is a raster in disguise: a story drawn mostly on <canvas> (or a map
//    made of tiles, pictures) prints as embedded images, so the "vector"
//    page has no sharper charts than our 2x PNG, which at least shows
//    exactly what the browser showed.
import type { StoryShape } from './story-shape.js';
import type { PageChoice } from './types.js';

/**
 * SVG shapes above which a vector page counts as heavy. A shape costs a
 * PDF about 60–120 bytes once compressed: 6,000 of them are about the
 * 512 KB at which a vector page used to lose against its PNG.
 */
export const HEAVY_SVG_SHAPES = 6_000;
/** Characters of SVG path data above which a vector page counts as heavy (about 512 KB once written as PDF and compressed). */
export const HEAVY_PATH_CHARS = 1_500_000;
/** Share of the charts' area drawn as pixels (canvas, pictures) above which the story is a raster in disguise. */
export const RASTER_SHARE = 0.5;

export interface Choice {
  choice: PageChoice;
  reason: string;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

export function chooseCapture(shape: Pick<StoryShape, 'drawing'>): Choice {
  const { svgShapes, svgPathChars, vectorArea, rasterArea } = shape.drawing;
  const charts = vectorArea + rasterArea;
  if (charts > 0 && rasterArea > RASTER_SHARE * charts) {
    return { choice: 'raster', reason: `drawn mostly as pixels (${percent(rasterArea / charts)} of its charts' area is canvas or pictures)` };
  }
  if (svgShapes > HEAVY_SVG_SHAPES) return { choice: 'raster', reason: `heavy as vector (${svgShapes} SVG shapes)` };
  if (svgPathChars > HEAVY_PATH_CHARS) return { choice: 'raster', reason: `heavy as vector (${Math.round(svgPathChars / 1000)} k characters of SVG paths)` };
  return { choice: 'vector', reason: charts > 0 ? `vector (${svgShapes} SVG shapes)` : 'vector (no charts: text and boxes)' };
}

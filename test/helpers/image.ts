// Pixel checks for captures: a test must prove it saw the chart, not a
// spinner or a blank. Colours come from demo/site/story.css.
import { PNG } from 'pngjs';

export const CHART_BLUE = [0x2f, 0x6f, 0xde] as const;
export const LOADER_GREY = [0xb8, 0xb8, 0xb8] as const;
export const ANNOTATION_RED = [0xe5, 0x48, 0x4d] as const;

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function decodePng(data: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(data));
}

/** Pixels within `tolerance` (per channel) of `rgb`, optionally inside a region. */
export function countColor(png: PNG, rgb: readonly [number, number, number], tolerance = 12, region?: Region): number {
  const x0 = Math.max(0, Math.floor(region?.x ?? 0));
  const y0 = Math.max(0, Math.floor(region?.y ?? 0));
  const x1 = Math.min(png.width, Math.ceil(region ? region.x + region.width : png.width));
  const y1 = Math.min(png.height, Math.ceil(region ? region.y + region.height : png.height));
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (png.width * y + x) * 4;
      const d = png.data;
      if (Math.abs((d[i] ?? 0) - rgb[0]) <= tolerance && Math.abs((d[i + 1] ?? 0) - rgb[1]) <= tolerance && Math.abs((d[i + 2] ?? 0) - rgb[2]) <= tolerance) count++;
    }
  }
  return count;
}

/** Share (0..1) of the image covered by a colour. */
export function colorShare(png: PNG, rgb: readonly [number, number, number], tolerance = 12): number {
  return countColor(png, rgb, tolerance) / (png.width * png.height);
}

/** The chart is there and the loader is not: the story was captured ready. */
export function showsChartNotLoader(png: PNG): { chart: number; loader: number } {
  return { chart: colorShare(png, CHART_BLUE), loader: colorShare(png, LOADER_GREY, 6) };
}

/**
 * Share (0..1) of pixels that differ between two pictures of the same size
 * by more than `tolerance` in any channel: what a person would notice. Two
 * pictures of different sizes differ entirely.
 */
export function differingShare(a: PNG, b: PNG, tolerance = 24): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let differing = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs((a.data[i + c] ?? 0) - (b.data[i + c] ?? 0)) > tolerance) {
        differing += 1;
        break;
      }
    }
  }
  return differing / (a.width * a.height);
}

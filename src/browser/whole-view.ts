// Every part of the element is seen before it is judged. Dashboards draw a
// panel when it scrolls into view (IntersectionObserver), load pictures
// when they near it (loading="lazy"), and mount only the rows of a
// virtualised list that the window shows: in a 618 px viewport, a 4,000 px
// Home is mostly blank panels that nothing is waiting for. So the viewport
// grows to the element (as Kibana's print layout and Grafana's full-height
// mode do) before readiness is judged, and again whenever the element
// outgrows it; readiness then holds over the whole element, and the
// capture is of the layout that was judged.
//
// Growing beats scrolling through the page (Grafana's scrollForElements):
// a window-virtualised list unmounts the rows it scrolled past, so after a
// scroll-through only the last screen is drawn; and the capture of a tall
// element grows the viewport anyway. Measured by bench/lib/tall-view.ts (`npm run bench:tall`)
// (docs/performance.md).
//
// Pure: the render asks, and sets the viewport it is told.
import type { Viewport } from '../contracts/common.js';
import type { Box } from './readiness.js';

/** The largest viewport courier grows to, in CSS px (a Home taller than 32,768 px is a document, not a dashboard). */
export const MAX_VIEW = { width: 8192, height: 32_768 } as const;
/** …and in device pixels (width × height × scale²): Chromium rasterises all of a viewport that size. */
export const MAX_VIEW_DEVICE_PIXELS = 64_000_000;
/** An element still larger than the viewport after this many growths grows with it (a height in vh): stop there. */
export const MAX_GROWTHS = 6;

export type Fit =
  | { kind: 'fits' }
  | { kind: 'grow'; viewport: Viewport }
  | { kind: 'too-large'; why: string };

/**
 * Whether the element's box (document coordinates, CSS px) lies wholly in
 * the viewport; if not, the viewport that shows it (never smaller than the
 * current one), or why none can. `growths`: how many times it grew already.
 */
export function fitView(box: Box, current: Viewport, growths: number): Fit {
  const right = Math.ceil(box.x + box.width);
  const bottom = Math.ceil(box.y + box.height);
  if (right <= current.width && bottom <= current.height) return { kind: 'fits' };
  const size = `${Math.round(box.width)}×${Math.round(box.height)} px`;
  if (growths >= MAX_GROWTHS) return { kind: 'too-large', why: `the element (${size}) kept outgrowing the viewport after ${growths} growths: its size follows the viewport's (vh or vw units?)` };
  const width = Math.max(current.width, right);
  const height = Math.max(current.height, bottom);
  const scale = current.deviceScaleFactor;
  if (width > MAX_VIEW.width || height > MAX_VIEW.height || width * height * scale * scale > MAX_VIEW_DEVICE_PIXELS) {
    return { kind: 'too-large', why: `the element is ${size} at scale ${scale}, more than courier shows at once: ${MAX_VIEW.width}×${MAX_VIEW.height} CSS px, ${MAX_VIEW_DEVICE_PIXELS / 1e6} million device pixels` };
  }
  return { kind: 'grow', viewport: { width, height, deviceScaleFactor: scale } };
}

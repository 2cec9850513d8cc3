// Capture: the ready element as a PNG or JPEG (its CSS size ×
// deviceScaleFactor), or as a vector PDF of the element alone.
import { imageSize } from 'image-size';
import { PDFDocument } from 'pdf-lib';
import type { CDPSession, ElementHandle, Page } from 'puppeteer-core';
import sharp, { type OverlayOptions } from 'sharp';
import { CourierError } from '../errors.js';
import { OVERLAY_ID } from './annotate.js';
import { mimeOf } from '../artifacts/formats.js';
import type { ElementClip } from './readiness.js';
import type { Capture, CaptureFormat } from './types.js';

const JPEG_QUALITY = 85;
const CAPTURE_ATTR = 'data-courier-capture';
/**
 * The largest side of one capture, in device pixels. Chromium draws a
 * capture into one texture, and GPU textures stop at 16,384 px (beyond, a
 * tall capture repeats its top: puppeteer#1576); half of that leaves room.
 * A taller (or wider) element is captured in tiles, stitched with sharp.
 */
export const MAX_TILE_PX = 8_192;
/**
 * From this many device pixels on, a PNG is encoded for speed (zlib's
 * fastest level, no filtering: `optimizeForSpeed`): the same pixels, larger
 * bytes. Measured on the gallery's tall Home (1000 × 4,246 px, 4.2 MP;
 * bench/lib/capture-encoding.ts): Chromium's encoding took 47 ms of CPU
 * instead of 77, on the browser's main thread, and the file grew from 180
 * to 316 KB. Below a megapixel (a single chart) the time saved is a few
 * milliseconds, so the smaller file wins.
 */
export const FAST_PNG_MIN_PIXELS = 1_000_000;

/**
 * `clip`: the element's box as the readiness probe last saw it, when wholly
 * in view (PageFacts.clip); null when it is not, or not known.
 */
export async function captureElement(page: Page, cdp: CDPSession, selector: string, format: CaptureFormat, clip: ElementClip | null, tilePx = MAX_TILE_PX): Promise<Capture> {
  if (format !== 'pdf' && clip) {
    const device = { width: Math.round(clip.width * clip.scale), height: Math.round(clip.height * clip.scale) };
    return device.width > tilePx || device.height > tilePx ? captureTiles(cdp, clip, format, tilePx) : captureInView(cdp, clip, format);
  }
  const element = await page.$(selector);
  if (!element) throw new CourierError('SELECTOR_TIMEOUT', `capture: the element ${JSON.stringify(selector)} disappeared after the story was ready`);
  return format === 'pdf' ? captureElementPdf(page, element) : captureElementImage(element, format);
}

/**
 * A PNG or JPEG of an element wholly in view (the usual story), by its box,
 * in one call on the page's own CDP session. Not `page.screenshot()`:
 * puppeteer queues every screenshot of a browser behind one lock (its pages
 * once had to be brought to the front in turn), so at CONCURRENCY 4 a job
 * waited for other jobs' captures, each slowed by whatever else the cores
 * were doing. One `Page.captureScreenshot` with a clip is atomic, and each
 * job captures its own page one format at a time. The box comes from the
 * readiness probe's last answer, so the page is not asked for it again
 * (under load that question alone waited up to 110 ms for the page).
 */
async function captureInView(cdp: CDPSession, clip: ElementClip, format: 'png' | 'jpeg'): Promise<Capture> {
  const pixels = clip.width * clip.height * clip.scale * clip.scale;
  const { data } = await cdp.send('Page.captureScreenshot', {
    format,
    ...(format === 'jpeg' ? { quality: JPEG_QUALITY } : {}),
    ...(format === 'png' && pixels >= FAST_PNG_MIN_PIXELS ? { optimizeForSpeed: true } : {}),
    // Device metrics are emulated on puppeteer's session, not this one: the
    // page's own devicePixelRatio gives the scale (the same bytes as
    // puppeteer's capture at 1, 1.5, 2 and 3, checked side by side).
    clip: { ...roundRectangle(clip), scale: clip.scale },
    // In view, so no need for Chromium to resize the page to capture beyond the viewport (a relayout).
    captureBeyondViewport: false,
  });
  return imageCapture(format, Buffer.from(data, 'base64'));
}

/**
 * An element larger than one texture, in view (the viewport grew to it:
 * whole-view.ts): captured in tiles of at most `tilePx` device pixels a
 * side, each a clip of the same page at the same moment (the page is ready
 * and its decoration stilled), stitched into one picture.
 */
async function captureTiles(cdp: CDPSession, clip: ElementClip, format: 'png' | 'jpeg', tilePx: number): Promise<Capture> {
  const whole = roundRectangle(clip);
  const step = Math.max(1, Math.floor(tilePx / clip.scale));
  const tiles: OverlayOptions[] = [];
  for (let y = 0; y < whole.height; y += step) {
    for (let x = 0; x < whole.width; x += step) {
      const part = { x: whole.x + x, y: whole.y + y, width: Math.min(step, whole.width - x), height: Math.min(step, whole.height - y) };
      // Lossless tiles, quick to encode: the stitched picture is encoded once, in the job's format.
      const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true, clip: { ...part, scale: clip.scale }, captureBeyondViewport: false });
      tiles.push({ input: Buffer.from(data, 'base64'), left: Math.round(x * clip.scale), top: Math.round(y * clip.scale) });
    }
  }
  const size = { width: Math.round(whole.width * clip.scale), height: Math.round(whole.height * clip.scale) };
  const canvas = sharp({ create: { ...size, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } }, limitInputPixels: false }).composite(tiles);
  // Opaque RGB, as Chromium's own captures: a report embeds such a PNG as it is (report/png.ts); with an alpha channel it would be decoded and deflated again, in JavaScript.
  const data = format === 'jpeg' ? await canvas.flatten().jpeg({ quality: JPEG_QUALITY }).toBuffer() : await canvas.removeAlpha().png().toBuffer();
  return imageCapture(format, data);
}

/** Whole device pixels, as puppeteer rounds a clip (so both paths give the same picture). */
function roundRectangle(clip: { x: number; y: number; width: number; height: number }) {
  const x = Math.round(clip.x);
  const y = Math.round(clip.y);
  return { x, y, width: Math.round(clip.width + clip.x - x), height: Math.round(clip.height + clip.y - y) };
}

/** An element not wholly in view: puppeteer scrolls it into view, waits a frame, and captures it. */
async function captureElementImage(element: ElementHandle, format: 'png' | 'jpeg'): Promise<Capture> {
  const options = format === 'jpeg' ? ({ type: 'jpeg', quality: JPEG_QUALITY } as const) : ({ type: 'png' } as const);
  return imageCapture(format, Buffer.from(await element.screenshot(options)));
}

function imageCapture(format: 'png' | 'jpeg', data: Buffer): Capture {
  const { width, height } = imageSize(data);
  return { format, mime: mimeOf(format), data, width, height, pages: null };
}

/**
 * A vector PDF of the element alone: everything else is hidden, the
 * element is pinned to the top-left corner, and the page is its size.
 * Text stays text, and the chart's SVG stays vector.
 */
async function captureElementPdf(page: Page, element: ElementHandle): Promise<Capture> {
  const box = await element.evaluate((el, attr) => {
    el.setAttribute(attr, '');
    const r = el.getBoundingClientRect();
    return { width: Math.ceil(r.width), height: Math.ceil(r.height) };
  }, CAPTURE_ATTR);
  const style = await page.addStyleTag({ content: isolationCss(box.width, box.height) });
  try {
    await page.emulateMediaType('screen');
    const bytes = await page.pdf({
      width: `${box.width}px`,
      height: `${box.height}px`,
      printBackground: true,
      margin: { top: 0, right: 0, bottom: 0, left: 0 },
      pageRanges: '1',
    });
    const data = Buffer.from(bytes);
    const pages = (await PDFDocument.load(data, { updateMetadata: false })).getPageCount();
    return { format: 'pdf', mime: mimeOf('pdf'), data, width: box.width, height: box.height, pages };
  } finally {
    // Later captures (a PNG after the PDF) see the page as it was.
    await style.evaluate((node) => node.remove()).catch(() => undefined);
    await element.evaluate((el, attr) => el.removeAttribute(attr), CAPTURE_ATTR).catch(() => undefined);
    await page.emulateMediaType().catch(() => undefined);
  }
}

function isolationCss(width: number, height: number): string {
  return `
    html, body { margin: 0 !important; padding: 0 !important; background: transparent !important; overflow: hidden !important; }
    body * { visibility: hidden !important; }
    [${CAPTURE_ATTR}], [${CAPTURE_ATTR}] *, #${OVERLAY_ID}, #${OVERLAY_ID} * { visibility: visible !important; }
    [${CAPTURE_ATTR}] { position: fixed !important; left: 0 !important; top: 0 !important; margin: 0 !important;
      width: ${width}px !important; height: ${height}px !important; box-sizing: border-box !important; }
    #${OVERLAY_ID} { position: fixed !important; left: 0 !important; top: 0 !important; }
    @page { size: ${width}px ${height}px; margin: 0; }
  `;
}

// Capture: the ready element as a PNG or JPEG (its CSS size ×
// deviceScaleFactor), or as a vector PDF of the element alone.
import { imageSize } from 'image-size';
import { PDFDocument } from 'pdf-lib';
import type { ElementHandle, Page } from 'puppeteer-core';
import { OVERLAY_ID } from './annotate.js';
import { mimeOf } from '../artifacts/formats.js';
import type { Capture, CaptureFormat } from './types.js';

const JPEG_QUALITY = 85;
const CAPTURE_ATTR = 'data-courier-capture';

export async function captureElement(page: Page, element: ElementHandle, format: CaptureFormat): Promise<Capture> {
  return format === 'pdf' ? captureElementPdf(page, element) : captureElementImage(element, format);
}

/**
 * A PNG or JPEG of the element alone, at its CSS size × deviceScaleFactor.
 * An element wholly in view (the usual story) is captured by its box, in
 * one call; puppeteer's element screenshot first scrolls it into view and
 * waits a frame for that (about 18 ms here), which only an element partly
 * out of view needs.
 */
export async function captureElementImage(element: ElementHandle, format: 'png' | 'jpeg'): Promise<Capture> {
  const options = format === 'jpeg' ? ({ type: 'jpeg', quality: JPEG_QUALITY } as const) : ({ type: 'png' } as const);
  const inView = await element.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const whole = window.scrollX === 0 && window.scrollY === 0 && r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
    return whole && r.width > 0 && r.height > 0 ? { x: r.left, y: r.top, width: r.width, height: r.height } : null;
  });
  // In view, so no need for Chromium to resize the page to capture beyond the viewport (a relayout).
  const bytes = inView ? await element.frame.page().screenshot({ ...options, clip: inView, captureBeyondViewport: false }) : await element.screenshot(options);
  const data = Buffer.from(bytes);
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

// The survey of a ready element, taken in the page just before a report
// page is captured: its size, the boxes a page break must not cut (charts,
// panels, lines of text) and what it is drawn with (report/story-shape.ts).
// A report page chooses its one capture from it (report/choose.ts) and is
// laid over PDF pages by it (report/bands.ts): measured once, captured once.
//
// `surveyElement` runs inside the page (puppeteer serialises it): it must
// not reach anything outside its own body.
import type { Page } from 'puppeteer-core';
import type { StoryShape } from '../report/story-shape.js';

/** Elements read for panels and lines at most: a larger DOM is a document, and its rest is left out (`truncated`). */
export const SURVEY_MAX_ELEMENTS = 20_000;

export async function surveyStory(page: Page, selector: string): Promise<StoryShape | null> {
  return page.evaluate(surveyElement, selector, SURVEY_MAX_ELEMENTS);
}

/** In the page. */
export function surveyElement(selector: string, maxElements: number): StoryShape | null {
  const root = document.querySelector(selector);
  if (!root) return null;
  const origin = root.getBoundingClientRect();
  const CHARTS = 'canvas, svg, img, video, iframe, object, embed';
  const SHAPES = 'path, rect, circle, ellipse, line, polyline, polygon, text, use, image';
  const blocks: StoryShape['blocks'] = [];
  const drawing = { svgShapes: 0, svgPathChars: 0, vectorArea: 0, rasterArea: 0 };
  let truncated = false;

  /** The part of a box within the element, from its top: null when none of it shows. */
  const within = (r: DOMRect | DOMRectReadOnly): { top: number; bottom: number; area: number } | null => {
    const top = Math.max(r.top, origin.top) - origin.top;
    const bottom = Math.min(r.bottom, origin.bottom) - origin.top;
    const width = Math.min(r.right, origin.right) - Math.max(r.left, origin.left);
    if (bottom - top <= 0 || width <= 0) return null;
    return { top, bottom, area: width * (bottom - top) };
  };
  const shows = (el: Element): boolean => {
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
  };

  // Charts: the outermost svg (an svg inside an svg is part of its chart) and every raster surface.
  for (const el of Array.from(root.querySelectorAll(CHARTS))) {
    if (el.parentElement?.closest('svg')) continue;
    const box = within(el.getBoundingClientRect());
    if (!box || !shows(el)) continue;
    blocks.push({ kind: 'chart', top: box.top, bottom: box.bottom });
    if (el.tagName.toLowerCase() === 'svg') {
      drawing.vectorArea += box.area;
      const shapes = el.querySelectorAll(SHAPES);
      drawing.svgShapes += shapes.length;
      for (const shape of Array.from(shapes)) drawing.svgPathChars += shape.getAttribute('d')?.length ?? 0;
    } else {
      drawing.rasterArea += box.area;
    }
  }

  // Panels: what is drawn as a box, or asks to be kept whole. Not the element itself.
  const all = root.querySelectorAll('*');
  if (all.length > maxElements) truncated = true;
  const count = Math.min(all.length, maxElements);
  for (let i = 0; i < count; i++) {
    const el = all[i] as Element;
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const keep = style.breakInside.startsWith('avoid') || style.getPropertyValue('page-break-inside') === 'avoid';
    const framed =
      keep ||
      style.boxShadow !== 'none' ||
      style.backgroundImage !== 'none' ||
      !/rgba\(\d+, \d+, \d+, 0\)|transparent/.test(style.backgroundColor) ||
      ['Top', 'Right', 'Bottom', 'Left'].some((side) => style.getPropertyValue(`border-${side.toLowerCase()}-style`) !== 'none' && parseFloat(style.getPropertyValue(`border-${side.toLowerCase()}-width`)) > 0);
    if (!framed) continue;
    const box = within(el.getBoundingClientRect());
    if (box) blocks.push({ kind: 'panel', top: box.top, bottom: box.bottom });
  }

  // Lines of text, outside charts: one box per line (a range's client rects).
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let texts = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent?.trim() || node.parentElement?.closest('svg')) continue;
    if (++texts > maxElements) {
      truncated = true;
      break;
    }
    range.selectNodeContents(node);
    for (const rect of Array.from(range.getClientRects())) {
      const box = within(rect);
      if (box) blocks.push({ kind: 'text', top: box.top, bottom: box.bottom });
    }
  }

  return { width: origin.width, height: origin.height, blocks, drawing, ...(truncated ? { truncated } : {}) };
}

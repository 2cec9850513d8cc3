// Annotate & share: shapes drawn over the captured element. They are drawn
// by Chromium itself, as an SVG overlay placed exactly over the element
// before capture, so they scale with deviceScaleFactor like the story does
// and no pixels are post-processed. Coordinates are CSS pixels from the
// element's top-left corner; the overlay has the element's size and clips
// whatever falls outside it.
//
// The geometry is pure (annotationNodes); drawOverlay runs in the page and
// builds elements with DOM APIs (setAttribute, textContent), so text a
// person typed is never parsed as markup.
import type { Annotation } from '../contracts/screenshot.js';

/** A plain description of one SVG element. */
export interface SvgNode {
  tag: 'rect' | 'ellipse' | 'line' | 'polyline' | 'polygon' | 'text';
  attrs: Record<string, string>;
  text?: string;
}

export const OVERLAY_ID = 'courier-annotations';

const fmt = (n: number) => String(Math.round(n * 100) / 100);

function stroke(a: Annotation): Record<string, string> {
  return { stroke: a.color, 'stroke-width': fmt(a.strokeWidth), fill: 'none', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' };
}

export function annotationNodes(annotations: readonly Annotation[]): SvgNode[] {
  return annotations.flatMap((a): SvgNode[] => {
    switch (a.type) {
      case 'rect':
        return [{ tag: 'rect', attrs: { x: fmt(a.x), y: fmt(a.y), width: fmt(a.width), height: fmt(a.height), ...stroke(a) } }];
      case 'ellipse':
        return [
          {
            tag: 'ellipse',
            attrs: { cx: fmt(a.x + a.width / 2), cy: fmt(a.y + a.height / 2), rx: fmt(a.width / 2), ry: fmt(a.height / 2), ...stroke(a) },
          },
        ];
      case 'line':
        return [{ tag: 'line', attrs: { x1: fmt(a.from[0]), y1: fmt(a.from[1]), x2: fmt(a.to[0]), y2: fmt(a.to[1]), ...stroke(a) } }];
      case 'arrow':
        return arrow(a.from, a.to, a);
      case 'path':
        return [{ tag: 'polyline', attrs: { points: a.points.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' '), ...stroke(a) } }];
      case 'text':
        return [
          {
            tag: 'text',
            attrs: {
              x: fmt(a.at[0]),
              y: fmt(a.at[1]),
              fill: a.color,
              // A white halo keeps the text readable over any chart colour.
              stroke: '#ffffff',
              'stroke-width': fmt(Math.max(2, a.strokeWidth)),
              'paint-order': 'stroke',
              'font-size': fmt(textSize(a.strokeWidth)),
              'font-weight': '600',
              'font-family': "'Noto Sans', 'DejaVu Sans', sans-serif",
              'dominant-baseline': 'hanging',
            },
            text: a.text,
          },
        ];
    }
  });
}

/** Text grows a little with the stroke width people chose, within readable bounds. */
function textSize(strokeWidth: number): number {
  return Math.min(48, Math.max(14, 12 + strokeWidth * 2));
}

/** A shaft that stops at the base of a filled head, so a thick stroke does not poke through the tip. */
function arrow(from: readonly [number, number], to: readonly [number, number], a: Annotation): SvgNode[] {
  const [x1, y1] = from;
  const [x2, y2] = to;
  const length = Math.hypot(x2 - x1, y2 - y1);
  if (length === 0) return [];
  const head = Math.min(length, Math.max(10, a.strokeWidth * 4));
  const ux = (x2 - x1) / length;
  const uy = (y2 - y1) / length;
  const baseX = x2 - ux * head;
  const baseY = y2 - uy * head;
  const half = head * 0.5;
  const left = [baseX - uy * half, baseY + ux * half];
  const right = [baseX + uy * half, baseY - ux * half];
  return [
    { tag: 'line', attrs: { x1: fmt(x1), y1: fmt(y1), x2: fmt(baseX), y2: fmt(baseY), ...stroke(a) } },
    {
      tag: 'polygon',
      attrs: { points: [[x2, y2], left, right].map((p) => p.map((n) => fmt(n ?? 0)).join(',')).join(' '), fill: a.color, stroke: a.color, 'stroke-width': '1', 'stroke-linejoin': 'round' },
    },
  ];
}

/**
 * Runs in the page (serialised by puppeteer: self-contained). Places an SVG
 * of the element's size exactly over it, on top of everything, and returns
 * the number of shapes drawn.
 */
export function drawOverlay(selector: string, overlayId: string, nodes: SvgNode[]): number {
  const target = document.querySelector(selector);
  if (!target) throw new Error(`no element matches ${selector}`);
  const rect = target.getBoundingClientRect();
  const ns = 'http://www.w3.org/2000/svg';
  document.getElementById(overlayId)?.remove();
  const svg = document.createElementNS(ns, 'svg');
  svg.id = overlayId;
  svg.setAttribute('width', String(rect.width));
  svg.setAttribute('height', String(rect.height));
  svg.setAttribute('viewBox', `0 0 ${rect.width} ${rect.height}`);
  svg.setAttribute('overflow', 'hidden');
  const style = svg.style;
  style.position = 'absolute';
  style.left = `${rect.left + window.scrollX}px`;
  style.top = `${rect.top + window.scrollY}px`;
  style.width = `${rect.width}px`;
  style.height = `${rect.height}px`;
  style.pointerEvents = 'none';
  style.zIndex = '2147483647';
  style.overflow = 'hidden';
  for (const node of nodes) {
    const el = document.createElementNS(ns, node.tag);
    for (const [name, value] of Object.entries(node.attrs)) el.setAttribute(name, value);
    if (node.text !== undefined) el.textContent = node.text;
    svg.appendChild(el);
  }
  document.body.appendChild(svg);
  // A positioned <body> (margins, transforms) shifts absolute children: measure and correct.
  const placed = svg.getBoundingClientRect();
  style.left = `${parseFloat(style.left) + rect.left - placed.left}px`;
  style.top = `${parseFloat(style.top) + rect.top - placed.top}px`;
  return nodes.length;
}

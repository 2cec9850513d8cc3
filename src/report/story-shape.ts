// What a ready story element holds, as the page measured it just before its
// capture (src/browser/element-survey.ts): its size, the boxes a page break
// must not cut, and what it is drawn with. Plain data in CSS px, measured
// from the element's top-left corner, so that it crosses to the assembly
// thread unchanged and the rules that read it (choose.ts, bands.ts) are
// tested without a browser.

/**
 * A box that a page break should not cut, by what it is:
 * - `chart`: a canvas, an svg, a picture, a video or an embedded frame;
 * - `panel`: an element drawn as a box (a border, a background, a shadow)
 *   or marked `break-inside: avoid` (the CSS way to say "keep me whole");
 * - `text`: one line of text.
 */
export type BlockKind = 'chart' | 'panel' | 'text';

export interface StoryBlock {
  kind: BlockKind;
  top: number;
  bottom: number;
}

export interface DrawingFacts {
  /** Shapes inside svg elements (path, rect, circle, text, …). */
  svgShapes: number;
  /** Characters of path data (`d`) inside svg elements: long paths make heavy PDFs. */
  svgPathChars: number;
  /** CSS px² of the story drawn as vector graphics (svg). */
  vectorArea: number;
  /** CSS px² drawn as pixels (canvas, img, video, iframe, object, embed). */
  rasterArea: number;
}

export interface StoryShape {
  width: number;
  height: number;
  blocks: StoryBlock[];
  drawing: DrawingFacts;
  /** True when the page had more blocks than courier reads; the rest were left out (breaks may then cut text). */
  truncated?: boolean;
}

import { describe, expect, it } from 'vitest';
import { KEEP_WHOLE_SHRINK, breakStory, planStory } from '../../src/report/bands.js';
import { fitStory, pageSize, storyFrame, PT_PER_CSS_PX } from '../../src/report/layout.js';
import type { StoryBlock } from '../../src/report/story-shape.js';

const panel = (top: number, bottom: number): StoryBlock => ({ kind: 'panel', top, bottom });
const chart = (top: number, bottom: number): StoryBlock => ({ kind: 'chart', top, bottom });
const text = (top: number, bottom: number): StoryBlock => ({ kind: 'text', top, bottom });
/** A Home: a title, then panels of 440 px with 20 px gutters, each with a chart inside. */
function home(panels: number): { height: number; blocks: StoryBlock[] } {
  const blocks: StoryBlock[] = [text(20, 56)];
  let y = 68;
  for (let i = 0; i < panels; i++) {
    blocks.push(panel(y, y + 440), text(y + 13, y + 35), chart(y + 45, y + 425));
    y += 460;
  }
  return { height: y + 20, blocks };
}
const cuts = (y: number, blocks: StoryBlock[]) => blocks.filter((b) => b.top < y - 0.5 && b.bottom > y + 0.5);

describe('breaking a tall story between its blocks', () => {
  it('a story that fits is one band', () => {
    expect(breakStory(500, 600, [panel(0, 500)])).toEqual([{ top: 0, bottom: 500 }]);
  });

  it('breaks a Home between panels, in the middle of the gutter, each band within a page', () => {
    const { height, blocks } = home(8);
    const bands = breakStory(height, 1000, blocks);
    expect(bands[0]!.top).toBe(0);
    expect(bands.at(-1)!.bottom).toBe(height);
    for (const [i, band] of bands.entries()) {
      expect(band.bottom - band.top).toBeLessThanOrEqual(1000);
      if (i > 0) expect(band.top).toBe(bands[i - 1]!.bottom);
      if (i < bands.length - 1) expect(cuts(band.bottom, blocks)).toEqual([]);
    }
    // Two panels a page (2 × 460 + title ≤ 1000), the break 10 px under the second panel.
    expect(bands.map((b) => b.bottom).slice(0, -1)).toEqual([978, 1898, 2818]);
  });

  it('cuts a panel taller than a page, but between its charts, never through one', () => {
    const blocks = [panel(0, 2000), chart(10, 600), chart(620, 1200), chart(1220, 1800)];
    const bands = breakStory(2000, 1000, blocks);
    for (const band of bands.slice(0, -1)) expect(cuts(band.bottom, blocks).map((b) => b.kind)).toEqual(['panel']);
    expect(bands[0]!.bottom).toBe(610);
  });

  it('when blocks chain over more than a page, cuts a line of text before a panel, and a panel before a chart', () => {
    // Overlapping panels leave no clean place within the first 1000 px; a text line can be cut at 950.
    const blocks = [panel(0, 700), panel(600, 1300), chart(650, 940), text(940, 960), chart(960, 1250)];
    const [first] = breakStory(1300, 1000, blocks);
    expect(cuts(first!.bottom, blocks).map((b) => b.kind)).toEqual(['panel']);
    expect(first!.bottom).toBe(960);
    // With nothing but charts overlapping, the limit.
    expect(breakStory(1500, 1000, [chart(0, 800), chart(700, 1500)])[0]!.bottom).toBe(1000);
  });

  it('breaks anywhere a story without blocks (a plain capture), at each page', () => {
    expect(breakStory(2500, 1000, [])).toEqual([{ top: 0, bottom: 1000 }, { top: 1000, bottom: 2000 }, { top: 2000, bottom: 2500 }]);
  });

  it('leaves out a band with nothing drawn in it: no blank page before a block that goes to the next page, nor after the last', () => {
    // Panels of 587 px with a 53 px gutter, 621 px a page: the padding above the first would otherwise be a page of its own.
    const blocks = [panel(53, 640), panel(693, 1280), panel(1333, 1920)];
    const bands = breakStory(2100, 621, blocks);
    expect(bands.map((b) => [Math.round(b.top), Math.round(b.bottom)])).toEqual([[27, 648], [670, 1291], [1312, 1933]]);
    for (const band of bands) expect(blocks.filter((b) => b.top >= band.top && b.bottom <= band.bottom)).toHaveLength(1);
  });

  it('refuses a page that holds nothing', () => {
    expect(() => breakStory(100, 0, [])).toThrow(/positive height/);
  });
});

describe('planning a story over pages', () => {
  const body = storyFrame(pageSize({ format: 'A4', landscape: true })).body;

  it('keeps an ordinary story on one page, exactly where it used to go', () => {
    const plan = planStory({ width: 1280, height: 650 }, body);
    expect(plan.bands).toHaveLength(1);
    expect(plan.bands[0]!.box).toEqual(fitStory({ width: 1280 * PT_PER_CSS_PX, height: 650 * PT_PER_CSS_PX }, body));
  });

  it('shrinks a story a little taller than the page to keep it whole, but no further than KEEP_WHOLE_SHRINK', () => {
    const widthScale = body.width / (1000 * PT_PER_CSS_PX);
    const fits = (body.height / (widthScale * PT_PER_CSS_PX)) / KEEP_WHOLE_SHRINK;
    expect(planStory({ width: 1000, height: fits - 1 }, body).bands).toHaveLength(1);
    expect(planStory({ width: 1000, height: fits + 1 }, body).bands).toHaveLength(2);
  });

  it('lays a tall Home over pages at the width of the body, legibly, each band under the header', () => {
    const { height, blocks } = home(8);
    const plan = planStory({ width: 1000, height, blocks }, body);
    expect(plan.bands.length).toBeGreaterThanOrEqual(6);
    // Drawn at the page's width: 1 CSS px prints at about 0.75 pt, as on screen.
    expect(plan.ptPerPx).toBeCloseTo(body.width / 1000, 5);
    for (const band of plan.bands) {
      expect(band.box.y + band.box.height).toBeCloseTo(body.y + body.height, 5);
      expect(band.box.height).toBeLessThanOrEqual(body.height + 1e-6);
      expect(band.box.width).toBeCloseTo(body.width, 5);
    }
    for (const band of plan.bands.slice(0, -1)) expect(cuts(band.bottom, blocks)).toEqual([]);
  });
});

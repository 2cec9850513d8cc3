import { describe, expect, it } from 'vitest';
import {
  MAX_GAP_UNDER_HEADER,
  MAX_UPSCALE,
  coverFrame,
  ellipsize,
  fitStory,
  fitTitle,
  layoutTitleBlock,
  pageSize,
  paginateContents,
  rasterMaxScale,
  storyFrame,
  wrapText,
  type Measure,
} from '../../src/report/layout.js';
import { formatGeneratedAt, formatShortDate, wordsFor } from '../../src/report/labels.js';

/** Every character is half the font size wide: predictable, like a monospace font. */
const mono: Measure = (text, size) => Array.from(text).length * size * 0.5;

describe('page sizes', () => {
  it('gives A4 and Letter in both orientations, in points', () => {
    expect(pageSize({ format: 'A4', landscape: false })).toEqual({ width: 595.28, height: 841.89 });
    expect(pageSize({ format: 'A4', landscape: true })).toEqual({ width: 841.89, height: 595.28 });
    expect(pageSize({ format: 'Letter', landscape: true })).toEqual({ width: 792, height: 612 });
  });
});

describe('fitting a story', () => {
  const body = { x: 40, y: 50, width: 760, height: 460 };

  it('keeps the aspect ratio and centres the story horizontally, inside the body', () => {
    const box = fitStory({ width: 750, height: 390 }, body);
    expect(box.width / box.height).toBeCloseTo(750 / 390, 6);
    expect(box.x - body.x).toBeCloseTo(body.x + body.width - (box.x + box.width), 6);
    expect(box.y).toBeGreaterThanOrEqual(body.y);
    expect(box.y + box.height).toBeLessThanOrEqual(body.y + body.height + 1e-9);
    expect(box.width).toBeCloseTo(760, 6);
  });

  it('shrinks a story larger than the page', () => {
    const box = fitStory({ width: 3000, height: 3000 }, body);
    expect(box.height).toBeCloseTo(460, 6);
    expect(box.width).toBeCloseTo(460, 6);
  });

  it('never blows a small story up beyond MAX_UPSCALE', () => {
    const box = fitStory({ width: 200, height: 100 }, body);
    expect(box.width).toBeCloseTo(200 * MAX_UPSCALE, 6);
  });

  it('centres vertically, but never further than MAX_GAP_UNDER_HEADER below the header', () => {
    const nearlyFull = fitStory({ width: 760, height: 400 }, body);
    expect(body.y + body.height - (nearlyFull.y + nearlyFull.height)).toBeCloseTo(30, 6);
    const portrait = fitStory({ width: 750, height: 390 }, { x: 36, y: 50, width: 523, height: 720 });
    expect(50 + 720 - (portrait.y + portrait.height)).toBeCloseTo(MAX_GAP_UNDER_HEADER, 6);
  });

  it('lets a raster grow only while it stays at 150 dpi or more', () => {
    // 2000 px for a story 750 pt wide at natural size: 150 dpi allows 960 pt, a factor 1.28, capped at MAX_UPSCALE.
    expect(rasterMaxScale(2000, 750)).toBe(MAX_UPSCALE);
    // A 1x capture (1000 px) may not grow at all: 1000 px / 150 dpi = 480 pt < 750 pt.
    expect(rasterMaxScale(1000, 750)).toBeCloseTo(0.64, 6);
  });

  it('keeps the story between the header and the footer', () => {
    const page = pageSize({ format: 'A4', landscape: true });
    const frame = storyFrame(page);
    expect(frame.body.y).toBeGreaterThan(frame.footerRuleY);
    expect(frame.body.y + frame.body.height).toBeLessThan(frame.headerRuleY);
    expect(frame.titleBaseline).toBeLessThan(page.height);
  });
});

describe('the cover', () => {
  it('puts the contents beside the title in landscape, under it in portrait', () => {
    const landscape = coverFrame(pageSize({ format: 'A4', landscape: true }));
    expect(landscape.contents.x).toBeGreaterThan(landscape.titleX + landscape.titleWidth);
    const portrait = coverFrame(pageSize({ format: 'A4', landscape: false }), 120);
    expect(portrait.contents.x).toBe(portrait.titleX);
    expect(portrait.contents.y + portrait.contents.height).toBeLessThan(portrait.titleTop - 120);
  });

  it('paginates a long contents list onto continuation pages, and a short one onto the cover alone', () => {
    const frame = coverFrame(pageSize({ format: 'A4', landscape: true }));
    expect(paginateContents(3, frame)).toEqual([3]);
    const hundred = paginateContents(100, frame);
    expect(hundred.reduce((a, b) => a + b, 0)).toBe(100);
    expect(hundred.length).toBeGreaterThan(1);
    expect(hundred[0]).toBe(Math.floor(frame.contents.height / frame.rowHeight));
  });

  it('stacks the title block from the top: app, title lines, date lines', () => {
    const block = layoutTitleBlock(500, { hasApp: true, titleSize: 30, titleLines: 2, dateLines: 1 });
    expect(block.appBaseline).not.toBeNull();
    expect(block.appBaseline!).toBeGreaterThan(block.titleBaselines[0]!);
    expect(block.titleBaselines[0]!).toBeGreaterThan(block.titleBaselines[1]!);
    expect(block.titleBaselines[1]!).toBeGreaterThan(block.dateBaselines[0]!);
    expect(block.height).toBeCloseTo(500 - block.dateBaselines[0]!, 6);
  });
});

describe('text fitting', () => {
  it('cuts a long line with an ellipsis, and leaves a short one alone', () => {
    expect(ellipsize('short', 100, 10, mono)).toBe('short');
    const cut = ellipsize('a very long story title indeed', 60, 10, mono);
    expect(cut.endsWith('…')).toBe(true);
    expect(mono(cut, 10)).toBeLessThanOrEqual(60);
  });

  it('never splits a surrogate pair', () => {
    const cut = ellipsize('😀😀😀😀😀😀', 20, 10, mono);
    expect(cut).toBe('😀😀😀…');
  });

  it('wraps at spaces, keeps a dash with the word before it, breaks CJK text anywhere', () => {
    expect(wrapText('Weekly sales report — Île-de-France', 100, 10, mono, 5)).toEqual(['Weekly sales', 'report —', 'Île-de-France']);
    expect(wrapText('売上レポート週次東京', 20, 10, mono, 5)).toEqual(['売上レポ', 'ート週次', '東京']);
  });

  it('ends the last allowed line with an ellipsis when text is left over', () => {
    const lines = wrapText('one two three four five six', 40, 10, mono, 2);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.endsWith('…')).toBe(true);
  });

  it('shrinks a cover title that would take more than three lines', () => {
    expect(fitTitle('Weekly sales', 300, mono).size).toBe(30);
    const long = fitTitle('A rather long report title that goes on about quarterly sales in every region', 300, mono);
    expect(long.size).toBeLessThan(30);
    expect(long.lines.length).toBeLessThanOrEqual(4);
  });
});

describe('labels and dates', () => {
  const at = new Date('2026-11-23T07:00:00Z');

  it("writes the cover's date in the job's time zone and language", () => {
    // Punctuation between the parts varies with the ICU version; the parts do not.
    const paris = formatGeneratedAt(at, 'Europe/Paris', 'en-GB');
    expect(paris).toMatch(/^Monday,? 23 November 2026\b.*\b08:00 \(Europe\/Paris\)$/);
    const tokyo = formatGeneratedAt(at, 'Asia/Tokyo', 'fr-FR');
    expect(tokyo).toMatch(/^lundi 23 novembre 2026\b.*\b16:00 \(Asia\/Tokyo\)$/);
    expect(formatGeneratedAt(at, undefined, undefined)).toContain('07:00 (UTC)');
  });

  it('falls back to UTC and English for what Intl does not know', () => {
    expect(formatGeneratedAt(at, 'Mars/Olympus', 'xx-invalid-tag-!')).toContain('(UTC)');
    expect(formatShortDate(at, 'Europe/Paris', 'de-DE')).toBe('23.11.2026');
    expect(wordsFor('fr-CA').contents).toBe('Sommaire');
    expect(wordsFor('pt-BR').contents).toBe('Contents');
    expect(wordsFor(undefined).page(3)).toBe('Page 3');
  });
});

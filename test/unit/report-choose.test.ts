import { describe, expect, it } from 'vitest';
import { HEAVY_PATH_CHARS, HEAVY_SVG_SHAPES, chooseCapture } from '../../src/report/choose.js';

const drawn = (drawing: Partial<{ svgShapes: number; svgPathChars: number; vectorArea: number; rasterArea: number }>) => ({
  drawing: { svgShapes: 0, svgPathChars: 0, vectorArea: 0, rasterArea: 0, ...drawing },
});

describe('vector or raster, chosen from the survey before anything is captured', () => {
  it('takes vector for an SVG chart, and for a story of text and boxes alone', () => {
    expect(chooseCapture(drawn({ svgShapes: 120, svgPathChars: 4000, vectorArea: 900 * 380 }))).toEqual({ choice: 'vector', reason: 'vector (120 SVG shapes)' });
    expect(chooseCapture(drawn({})).choice).toBe('vector');
  });

  it('takes raster when most of the charts are canvas or pictures (a PDF would hold them as images anyway)', () => {
    const canvas = chooseCapture(drawn({ vectorArea: 900 * 380, rasterArea: 3 * 900 * 380 }));
    expect(canvas.choice).toBe('raster');
    expect(canvas.reason).toBe("drawn mostly as pixels (75 % of its charts' area is canvas or pictures)");
    expect(chooseCapture(drawn({ vectorArea: 2, rasterArea: 1 })).choice).toBe('vector');
  });

  it('takes raster when the SVG is heavy: thousands of shapes, or very long paths', () => {
    expect(chooseCapture(drawn({ svgShapes: HEAVY_SVG_SHAPES + 1, vectorArea: 1 }))).toMatchObject({ choice: 'raster', reason: `heavy as vector (${HEAVY_SVG_SHAPES + 1} SVG shapes)` });
    expect(chooseCapture(drawn({ svgShapes: 10, svgPathChars: HEAVY_PATH_CHARS + 1, vectorArea: 1 })).reason).toMatch(/heavy as vector \(1500 k characters of SVG paths\)/);
    expect(chooseCapture(drawn({ svgShapes: HEAVY_SVG_SHAPES, svgPathChars: HEAVY_PATH_CHARS, vectorArea: 1 })).choice).toBe('vector');
  });
});

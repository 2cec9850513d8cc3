// Whether an element is wholly in view, and the viewport that shows it (src/browser/whole-view.ts). Pure.
import { describe, expect, it } from 'vitest';
import { fitView, MAX_GROWTHS, MAX_VIEW } from '../../src/browser/whole-view.js';

const usual = { width: 1280, height: 618, deviceScaleFactor: 1 };

describe('fitView', () => {
  it('leaves an element that fits alone', () => {
    expect(fitView({ x: 140, y: 72, width: 1000, height: 520 }, usual, 0)).toEqual({ kind: 'fits' });
  });

  it('grows the viewport to a tall element, never narrower than it was', () => {
    expect(fitView({ x: 24, y: 72, width: 1000, height: 4246.4 }, usual, 0)).toEqual({ kind: 'grow', viewport: { width: 1280, height: 4319, deviceScaleFactor: 1 } });
  });

  it('grows both ways for an element wider and taller, keeping the scale', () => {
    expect(fitView({ x: 0, y: 0, width: 2000, height: 900 }, { ...usual, deviceScaleFactor: 2 }, 1)).toEqual({ kind: 'grow', viewport: { width: 2000, height: 900, deviceScaleFactor: 2 } });
  });

  it('refuses beyond what courier shows at once, in CSS px or device pixels, and says so', () => {
    const tall = fitView({ x: 24, y: 72, width: 1000, height: MAX_VIEW.height }, usual, 0);
    expect(tall.kind === 'too-large' && tall.why).toMatch(/^the element is 1000×32768 px at scale 1, more than courier shows at once/);
    expect(fitView({ x: 0, y: 0, width: 1280, height: 20_000 }, { ...usual, deviceScaleFactor: 2 }, 0).kind).toBe('too-large');
  });

  it('stops an element that keeps outgrowing the viewport (a height in vh)', () => {
    const vh = fitView({ x: 0, y: 0, width: 1000, height: 5000 }, usual, MAX_GROWTHS);
    expect(vh.kind === 'too-large' && vh.why).toContain('kept outgrowing the viewport');
  });
});

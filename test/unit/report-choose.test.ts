import { describe, expect, it } from 'vitest';
import { HEAVY_VECTOR_BYTES, choosePage } from '../../src/report/choose.js';

const KB = 1024;
const typical = { vectorBytes: 22 * KB, vectorPages: 1, vectorImageBytes: 0, rasterBytes: 40 * KB };

describe('vector or raster', () => {
  it('takes the vector capture of an ordinary chart', () => {
    expect(choosePage(typical).choice).toBe('vector');
  });

  it('keeps a vector capture that is larger than the PNG but not heavy', () => {
    expect(choosePage({ ...typical, vectorBytes: 200 * KB, rasterBytes: 20 * KB }).choice).toBe('vector');
  });

  it('takes the PNG when the vector capture is heavy and much larger (thousands of paths)', () => {
    const heavy = choosePage({ ...typical, vectorBytes: 3 * 1024 * KB, rasterBytes: 600 * KB });
    expect(heavy.choice).toBe('raster');
    expect(heavy.reason).toMatch(/heavy/);
  });

  it('keeps a heavy vector capture when the PNG is about as heavy', () => {
    expect(choosePage({ ...typical, vectorBytes: HEAVY_VECTOR_BYTES + KB, rasterBytes: HEAVY_VECTOR_BYTES }).choice).toBe('vector');
  });

  it('takes the PNG when the "vector" capture is mostly images (canvas, map tiles)', () => {
    const canvas = choosePage({ ...typical, vectorBytes: 100 * KB, vectorImageBytes: 80 * KB });
    expect(canvas).toMatchObject({ choice: 'raster' });
    expect(canvas.reason).toMatch(/images/);
  });

  it('takes the PNG when the vector capture is missing, unreadable or not one page', () => {
    expect(choosePage({ ...typical, vectorBytes: null, vectorPages: null }).choice).toBe('raster');
    expect(choosePage({ ...typical, vectorPages: null }).reason).toMatch(/unreadable/);
    expect(choosePage({ ...typical, vectorPages: 2 }).reason).toMatch(/2 pages/);
  });

  it('takes whatever exists when there is only one capture, and refuses a page with none', () => {
    expect(choosePage({ ...typical, rasterBytes: null }).choice).toBe('vector');
    expect(() => choosePage({ vectorBytes: null, vectorPages: null, vectorImageBytes: 0, rasterBytes: null })).toThrow(/PDF or a PNG/);
    expect(() => choosePage({ ...typical, vectorPages: 3, rasterBytes: null })).toThrow(/3 pages/);
  });
});

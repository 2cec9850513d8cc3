// How the story image travels in a Teams card: the ladder of steps within
// Teams' documented limits, and the pixels (sharp) within 1024 × 1024 and 1 MB.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { afterRefusal, dataUriLength, imageBytesWithin, imageLadder, takeStep, TEAMS_REQUEST_MAX_BYTES, toDataUri } from '../../src/delivery/card-image.js';
import { fitFullSize, fitWithin, MIN_LONG_SIDE, shrinkToFit, TEAMS_IMAGE_MAX_BYTES } from '../../src/delivery/image-fit.js';
import type { ImagePart } from '../../src/delivery/messages.js';

/** Noise compresses badly: a worst case for every budget. */
async function noisy(width: number, height: number, sigma = 12): Promise<ImagePart> {
  const data = await sharp({ create: { width, height, channels: 4, background: '#ffffff00', noise: { type: 'gaussian', mean: 128, sigma } } }).png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath: 'screenshot/2026-11-20/7.png' };
}

/** A chart-like picture: flat colours, compresses well. */
async function chart(width: number, height: number): Promise<ImagePart> {
  const bars = Array.from({ length: 10 }, (_, i) => `<rect x="${20 + i * (width / 11)}" y="${height / 3}" width="${width / 14}" height="${height / 2}" fill="#2f6fde"/>`).join('');
  const data = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${bars}</svg>`)).png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath: 'screenshot/2026-11-20/8.png' };
}

describe('image ladder', () => {
  it('tries inline, then a smaller image, then a link, then no image', () => {
    const maxBytes = imageBytesWithin(TEAMS_REQUEST_MAX_BYTES - 3000);
    expect(imageLadder(3000, true)).toEqual([{ path: 'inline', maxBytes }, { path: 'smaller', maxBytes }, { path: 'link' }, { path: 'none' }]);
    expect(imageLadder(3000, false).map((s) => s.path)).toEqual(['inline', 'smaller', 'none']);
    // The text alone fills the request: no room for an inline image.
    expect(imageLadder(TEAMS_REQUEST_MAX_BYTES - 100, true).map((s) => s.path)).toEqual(['link', 'none']);
  });

  it('after a 413, tries an image of half the refused size, then the rest', () => {
    const rest = [{ path: 'smaller', maxBytes: 200_000 }, { path: 'link' }, { path: 'none' }] as const;
    expect(afterRefusal({ path: 'inline', maxBytes: 200_000 }, 150_000, [...rest])).toEqual([{ path: 'smaller', maxBytes: 75_000, after413: 150_000 }, { path: 'link' }, { path: 'none' }]);
    expect(afterRefusal({ path: 'link' }, 0, [{ path: 'none' }])).toEqual([{ path: 'none' }]);
  });

  it('measures data: URIs without building them', () => {
    for (const bytes of [0, 1, 2, 3, 4, 1000, 28_673]) {
      expect(dataUriLength('image/png', bytes)).toBe(toDataUri('image/png', Buffer.alloc(bytes)).length);
    }
    expect(dataUriLength('image/jpeg', imageBytesWithin(100_000))).toBeLessThanOrEqual(100_000);
  });
});

describe('image sizes within Teams limits', () => {
  it('scales into 1024 × 1024 in both dimensions, keeping the aspect ratio, never enlarging', () => {
    expect(fitWithin(2560, 1236)).toEqual({ width: 1024, height: 494 });
    expect(fitWithin(1000, 3000)).toEqual({ width: 341, height: 1024 });
    expect(fitWithin(1000, 520)).toEqual({ width: 1000, height: 520 });
  });

  it('sends an image that fits as captured, byte for byte', async () => {
    const image = await chart(1000, 520);
    const fitted = await fitFullSize(image, 200_000);
    expect(fitted).toMatchObject({ unchanged: true, width: 1000, height: 520, mime: 'image/png' });
    expect(fitted!.data.equals(image.data)).toBe(true);
  });

  it('scales a large capture into the box as PNG when that fits, and a tall one by its height', async () => {
    const wide = await fitFullSize(await chart(2000, 1040), 200_000);
    expect(wide).toMatchObject({ mime: 'image/png', width: 1024, height: 532, unchanged: false });
    const tall = await fitFullSize(await chart(1000, 3000), 200_000);
    expect(tall).toMatchObject({ width: 341, height: 1024 });
    const meta = await sharp(tall!.data).metadata();
    expect([meta.width, meta.height]).toEqual([341, 1024]);
  });

  it('re-encodes as the best JPEG that fits rather than shrinking the picture', async () => {
    const image = await noisy(1000, 520);
    const fitted = await fitFullSize(image, 150_000);
    expect(fitted).not.toBeNull();
    expect(fitted).toMatchObject({ mime: 'image/jpeg', width: 1000, height: 520 });
    expect(fitted!.data.length).toBeLessThanOrEqual(150_000);
    // The best quality that fits: the next one up would not have.
    const better = await sharp(image.data).flatten({ background: '#fff' }).jpeg({ quality: Math.min(92, fitted!.quality! + 7), mozjpeg: true }).toBuffer();
    if (fitted!.quality! < 92) expect(better.length).toBeGreaterThan(150_000);
  });

  it('shrinks the pixels only when no quality fits, and never below a readable size', async () => {
    const image = await noisy(1600, 772, 80);
    expect(await fitFullSize(image, 40_000)).toBeNull();
    const smaller = await shrinkToFit(image, 40_000);
    expect(smaller).not.toBeNull();
    expect(smaller!.data.length).toBeLessThanOrEqual(40_000);
    expect(Math.max(smaller!.width, smaller!.height)).toBeGreaterThanOrEqual(MIN_LONG_SIDE);
    expect(Math.abs(smaller!.width / smaller!.height - 1600 / 772)).toBeLessThan(0.02);
    expect((await sharp(smaller!.data).metadata()).hasAlpha).toBe(false);
    expect(await shrinkToFit(image, 2_000)).toBeNull();
  });

  it('keeps every step within 1 MB', async () => {
    expect(TEAMS_IMAGE_MAX_BYTES).toBe(1024 * 1024);
    const image = await noisy(1024, 1024, 60);
    expect(image.data.length).toBeGreaterThan(TEAMS_IMAGE_MAX_BYTES);
    const fitted = await fitFullSize(image, Number.POSITIVE_INFINITY);
    expect(fitted!.data.length).toBeLessThanOrEqual(TEAMS_IMAGE_MAX_BYTES);
  });
});

describe('steps', () => {
  it('says which step was taken and why', async () => {
    const image = await chart(2000, 1040);
    const inline = await takeStep({ path: 'inline', maxBytes: 200_000 }, { image, links: null });
    expect(inline).toMatchObject({ path: 'inline', width: 1024, height: 532 });
    expect('reason' in inline && inline.reason).toMatch(/scaled into Teams' 1024 × 1024 limit: PNG 1024×532.*from a 2000×1040 capture/);
    const skipped = await takeStep({ path: 'link' }, { image, links: null });
    expect(skipped).toEqual({ skipped: expect.stringMatching(/no https PUBLIC_URL/) as string });
  });
});

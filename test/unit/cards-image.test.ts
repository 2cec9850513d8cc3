// How the image travels in a Teams card (the ladder, links, downscaling with
// sharp), and the pure rules of the Teams sender (throttling, ids, redaction).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dataUriLength, downscaleToFit, imageLadder, materializeStep, MIN_DOWNSCALED_WIDTH, signedImageLink, toDataUri } from '../../src/delivery/card-image.js';
import type { ImagePart } from '../../src/delivery/messages.js';
import { activityIdOf, parseRetryAfter, redactSecrets, throttleDecision } from '../../src/delivery/teams.js';
import { checkArtifactSignature } from '../../src/server/signing.js';

async function photo(width: number, height: number): Promise<ImagePart> {
  // Noise compresses badly: a worst case for the budget.
  const data = await sharp({ create: { width, height, channels: 4, background: '#ffffff00', noise: { type: 'gaussian', mean: 128, sigma: 12 } } }).png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath: 'screenshot/2026-11-20/7.png' };
}

describe('image ladder', () => {
  it('puts inline first only when it fits, then the link, then downscaled JPEGs, then no image', () => {
    expect(imageLadder({ dataUriChars: 10_000, room: 20_000, link: 'https://l' })).toEqual([
      { path: 'inline' },
      { path: 'link', url: 'https://l' },
      { path: 'downscaled', maxChars: 5_000 },
      { path: 'none' },
    ]);
    expect(imageLadder({ dataUriChars: 500_000, room: 25_000, link: 'https://l' })).toEqual([
      { path: 'link', url: 'https://l' },
      { path: 'downscaled', maxChars: 25_000 },
      { path: 'downscaled', maxChars: 12_500 },
      { path: 'none' },
    ]);
    expect(imageLadder({ dataUriChars: 500_000, room: 25_000, link: null })[0]).toEqual({ path: 'downscaled', maxChars: 25_000 });
    // The text alone fills the budget: no room for any image.
    expect(imageLadder({ dataUriChars: 500_000, room: -10, link: null })).toEqual([{ path: 'none' }]);
  });

  it('measures data: URIs without building them', () => {
    for (const bytes of [0, 1, 2, 3, 4, 1000, 28_673]) {
      expect(dataUriLength('image/png', bytes)).toBe(toDataUri('image/png', Buffer.alloc(bytes)).length);
    }
  });

  it('signs links only with https PUBLIC_URL, a secret and an artifact path', () => {
    const now = new Date('2026-11-20T10:00:00Z');
    const settings = { publicUrl: new URL('https://courier.example.com/'), secret: 'x'.repeat(32), ttlSeconds: 3600 };
    const link = signedImageLink(settings, 'screenshot/2026-11-20/7.png', now);
    const url = new URL(link!);
    expect(url.pathname).toBe('/artifacts/screenshot/2026-11-20/7.png');
    expect(url.searchParams.get('expires')).toBe(String(now.getTime() / 1000 + 3600));
    expect(checkArtifactSignature('x'.repeat(32), 'screenshot/2026-11-20/7.png', url.searchParams.get('expires'), url.searchParams.get('signature'), now.getTime() / 1000)).toBe('valid');
    expect(signedImageLink({ ...settings, publicUrl: new URL('http://courier.example.com/') }, 'a.png', now)).toBeNull();
    expect(signedImageLink({ ...settings, secret: null }, 'a.png', now)).toBeNull();
    expect(signedImageLink(settings, null, now)).toBeNull();
  });

  it('downscales to a JPEG whose data: URI fits, at most 1024 px wide, transparency on white', async () => {
    const image = await photo(2560, 1236);
    const maxChars = 25_000;
    const jpeg = await downscaleToFit(image, maxChars);
    expect(jpeg).not.toBeNull();
    expect(toDataUri('image/jpeg', jpeg!.data).length).toBeLessThanOrEqual(maxChars);
    const meta = await sharp(jpeg!.data).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: jpeg!.width, height: jpeg!.height, hasAlpha: false });
    expect(jpeg!.width).toBeLessThanOrEqual(1024);
    expect(jpeg!.width).toBeGreaterThanOrEqual(MIN_DOWNSCALED_WIDTH);
    expect(Math.abs(jpeg!.width / jpeg!.height - 2560 / 1236)).toBeLessThan(0.02);

    const step = await materializeStep({ path: 'downscaled', maxChars }, image);
    expect(step).toMatchObject({ path: 'downscaled', inlineBytes: jpeg!.data.length });
    expect(step?.url?.startsWith('data:image/jpeg;base64,')).toBe(true);
  });

  it('gives up rather than shrink below a readable width', async () => {
    expect(await downscaleToFit(await photo(1280, 618), 600)).toBeNull();
    expect(await materializeStep({ path: 'downscaled', maxChars: 600 }, await photo(1280, 618))).toBeNull();
  });
});

describe('Teams sender rules', () => {
  const limits = { maxAttempts: 4, maxRetryWaitMs: 30_000 };
  const now = Date.parse('2026-11-20T10:00:00Z');

  it('waits for Retry-After (seconds or date) within the bounds, else gives up naming throttling', () => {
    expect(throttleDecision({ status: 429, retryAfter: '2', attempt: 1, nowMs: now, limits })).toEqual({ retryInMs: 2000 });
    expect(throttleDecision({ status: 503, retryAfter: 'Fri, 20 Nov 2026 10:00:05 GMT', attempt: 2, nowMs: now, limits })).toEqual({ retryInMs: 5000 });
    // No Retry-After: exponential backoff.
    expect(throttleDecision({ status: 429, retryAfter: null, attempt: 3, nowMs: now, limits })).toEqual({ retryInMs: 4000 });
    const tooLong = throttleDecision({ status: 429, retryAfter: '120', attempt: 1, nowMs: now, limits });
    expect(tooLong).toEqual({ giveUp: expect.stringMatching(/throttling.*HTTP 429.*120 s, longer than the 30 s/) as string });
    const tooMany = throttleDecision({ status: 503, retryAfter: '1', attempt: 4, nowMs: now, limits });
    expect(tooMany).toEqual({ giveUp: expect.stringMatching(/throttling or unavailable \(HTTP 503.*after 4 attempts/) as string });
  });

  it('reads Retry-After', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('takes the activity id from a channel thread id', () => {
    expect(activityIdOf('19:abc@thread.tacv2;messageid=1732096800000')).toBe('1732096800000');
    expect(activityIdOf('a:1xyz')).toBe('a:1xyz');
  });

  it('redacts the password and bearer tokens', () => {
    expect(redactSecrets('secret s3cr3t! in Authorization: Bearer eyJ0eXAi.abc-_x and s3cr3t!', ['s3cr3t!', null])).toBe(
      'secret [redacted] in Authorization: Bearer [redacted] and [redacted]',
    );
  });
});

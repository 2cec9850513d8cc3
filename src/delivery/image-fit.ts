// Story images sized for a Teams card, with sharp (libvips). Teams shows
// card images in PNG, JPEG or GIF, at most 1024 × 1024 pixels and 1 MB
// (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages,
// "Pictures", and task-modules-and-cards/cards/cards-reference). A capture at
// deviceScaleFactor 2 is 2560 px wide, and a tall story may be higher than
// wide, so both dimensions are scaled, keeping the aspect ratio.
//
// Best quality first: the image as it is when it already fits; else scaled
// into the box and kept lossless (PNG); else a JPEG at the highest quality
// that fits; only then smaller pixel sizes (shrinkToFit).
import sharp, { type OutputInfo } from 'sharp';
import type { ImagePart } from './messages.js';

/** The longest side Teams shows a card image at. */
export const TEAMS_IMAGE_MAX_SIDE = 1024;
/** The largest card image file Teams accepts. */
export const TEAMS_IMAGE_MAX_BYTES = 1024 * 1024;
/** Below this longest side a chart's labels are unreadable: better a link or no image than a smudge. */
export const MIN_LONG_SIDE = 480;

/** JPEG qualities for an image at its full size: text in charts smears below ~60. */
const FULL_SIZE_QUALITIES = [92, 85, 78, 70, 62];
/** Qualities tried at each smaller size: quality drops before the size does. */
const SHRINK_QUALITIES = [80, 70, 60];

export interface FittedImage {
  data: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** JPEG quality, null for an image kept lossless. */
  quality: number | null;
  /** Sent as captured, byte for byte. */
  unchanged: boolean;
}

/** The largest size within a square box of `maxSide`, keeping the aspect ratio; never enlarges. */
export function fitWithin(width: number, height: number, maxSide = TEAMS_IMAGE_MAX_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / width, maxSide / height);
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The image decoded once into raw pixels, so trying several sizes and qualities does not decode the PNG each time. */
interface Pixels {
  data: Buffer;
  info: OutputInfo;
}

async function decode(image: ImagePart): Promise<Pixels> {
  return sharp(image.data).raw().toBuffer({ resolveWithObject: true });
}

function encode(pixels: Pixels, size: { width: number; height: number }, format: { png: true } | { jpeg: number }): Promise<{ data: Buffer; info: OutputInfo }> {
  const { width, height, channels } = pixels.info;
  const resized = sharp(pixels.data, { raw: { width, height, channels } }).resize({ width: size.width, height: size.height, fit: 'fill' });
  const encoded =
    'png' in format
      ? resized.png({ compressionLevel: 9, adaptiveFiltering: true })
      : // Transparent areas on white, as the card shows them.
        resized.flatten({ background: '#ffffff' }).jpeg({ quality: format.jpeg, mozjpeg: true });
  return encoded.toBuffer({ resolveWithObject: true });
}

async function jpegAt(pixels: Pixels, size: { width: number; height: number }, qualities: number[], maxBytes: number): Promise<{ fitted: FittedImage | null; smallest: number }> {
  let smallest = Infinity;
  for (const quality of qualities) {
    const { data, info } = await encode(pixels, size, { jpeg: quality });
    if (data.length <= maxBytes) return { fitted: { data, mime: 'image/jpeg', width: info.width, height: info.height, quality, unchanged: false }, smallest: data.length };
    smallest = Math.min(smallest, data.length);
  }
  return { fitted: null, smallest };
}

/**
 * The image at the largest size Teams shows (within 1024 × 1024) in at most
 * `maxBytes`: as captured when it already fits, else scaled and kept lossless,
 * else a JPEG at the best quality that fits. Null when even the lowest
 * quality at that size is too large (then shrinkToFit).
 */
export async function fitFullSize(image: ImagePart, maxBytes: number): Promise<FittedImage | null> {
  const limit = Math.min(maxBytes, TEAMS_IMAGE_MAX_BYTES);
  const size = fitWithin(image.width, image.height);
  const scaled = size.width !== image.width || size.height !== image.height;
  if (!scaled && image.data.length <= limit) {
    return { data: image.data, mime: image.mime, width: image.width, height: image.height, quality: null, unchanged: true };
  }
  const pixels = await decode(image);
  if (image.mime === 'image/png' && scaled) {
    const { data, info } = await encode(pixels, size, { png: true });
    if (data.length <= limit) return { data, mime: 'image/png', width: info.width, height: info.height, quality: null, unchanged: false };
  }
  return (await jpegAt(pixels, size, FULL_SIZE_QUALITIES, limit)).fitted;
}

/**
 * A JPEG smaller in pixels that fits `maxBytes`: the largest size (its longest
 * side not below MIN_LONG_SIDE) at a good quality. Each round shrinks by the
 * square root of the overshoot, as JPEG size follows the pixel count. Null
 * when nothing readable fits.
 */
export async function shrinkToFit(image: ImagePart, maxBytes: number): Promise<FittedImage | null> {
  const limit = Math.min(maxBytes, TEAMS_IMAGE_MAX_BYTES);
  const pixels = await decode(image);
  let size = fitWithin(image.width, image.height);
  for (let round = 0; round < 8 && Math.max(size.width, size.height) >= Math.min(MIN_LONG_SIDE, Math.max(image.width, image.height)); round++) {
    const { fitted, smallest } = await jpegAt(pixels, size, SHRINK_QUALITIES, limit);
    if (fitted) return fitted;
    const longest = Math.max(size.width, size.height);
    const next = Math.floor(longest * Math.sqrt(limit / smallest) * 0.95);
    size = fitWithin(image.width, image.height, next >= longest ? longest - 1 : next);
  }
  return null;
}

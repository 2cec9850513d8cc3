// The limits the Bot Connector stand-in enforces by default, as Microsoft
// documents them (and no more lenient), so that what passes against the
// stand-in also passes against Teams:
//
// - a request body over 262144 bytes: 413 MessageSizeTooBig, with Azure Bot
//   Service's wording ("The request content length exceeded limit of 262144 bytes");
// - a message over 100 KB not counting base64 images: 413 MessageSizeTooBig;
// - a card image that is not PNG, JPEG or GIF, over 1024 × 1024 pixels or
//   over 1 MB, or linked over anything but https: 400 (Teams itself shows a
//   broken image; the stand-in refuses, so a test sees the mistake);
// - more new threads in one channel than 7 per second, 8 per 2 s, 60 per
//   30 s or 1,800 per hour (per bot): 429 Throttled with Retry-After.
// Pure, apart from the per-channel request log the rate check keeps.
import { imageSize } from 'image-size';

export interface StandInLimits {
  maxRequestBytes: number;
  maxMessageBytes: number;
  maxImageSide: number;
  maxImageBytes: number;
  /** Per bot and channel: at most `max` new threads in any `ms`. */
  threadWindows: { ms: number; max: number }[];
}

export const TEAMS_LIMITS: StandInLimits = {
  maxRequestBytes: 262_144,
  maxMessageBytes: 100 * 1024,
  maxImageSide: 1024,
  maxImageBytes: 1024 * 1024,
  threadWindows: [
    { ms: 1000, max: 7 },
    { ms: 2000, max: 8 },
    { ms: 30_000, max: 60 },
    { ms: 3_600_000, max: 1800 },
  ],
};

export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const DATA_URI = /^data:([^;,]+);base64,([A-Za-z0-9+/=]*)$/;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif']);

/** The url of every Image element of a card. */
export function cardImageUrls(card: unknown): string[] {
  if (Array.isArray(card)) return card.flatMap(cardImageUrls);
  if (card === null || typeof card !== 'object') return [];
  const node = card as Record<string, unknown>;
  const own = node.type === 'Image' && typeof node.url === 'string' ? [node.url] : [];
  return [...own, ...Object.values(node).flatMap(cardImageUrls)];
}

/** Checks a POST v3/conversations body against the size and image limits; null when it passes. */
export function checkPostBody(body: Buffer, card: unknown, limits: StandInLimits = TEAMS_LIMITS): Refusal | null {
  if (body.length > limits.maxRequestBytes) {
    return { status: 413, code: 'MessageSizeTooBig', message: `The request content length exceeded limit of ${limits.maxRequestBytes} bytes.` };
  }
  const text = body.toString('utf8').replace(/"data:[^"]*"/g, '""');
  if (Buffer.byteLength(text) > limits.maxMessageBytes) {
    return { status: 413, code: 'MessageSizeTooBig', message: `Message size too large: ${Buffer.byteLength(text)} bytes without base64 images, over ${limits.maxMessageBytes}.` };
  }
  for (const url of cardImageUrls(card)) {
    const problem = imageProblem(url, limits);
    if (problem) return { status: 400, code: 'BadArgument', message: `Card image refused: ${problem}` };
  }
  return null;
}

function imageProblem(url: string, limits: StandInLimits): string | null {
  const data = DATA_URI.exec(url);
  if (!data) {
    if (url.startsWith('data:')) return 'not a base64 data: URI';
    try {
      return new URL(url).protocol === 'https:' ? null : `${url.slice(0, 60)} is not https (Teams loads card images over https only)`;
    } catch {
      return `${url.slice(0, 60)} is not a URL`;
    }
  }
  const mime = data[1]!;
  if (!IMAGE_TYPES.has(mime)) return `${mime} is not PNG, JPEG or GIF`;
  const bytes = Buffer.from(data[2]!, 'base64');
  if (bytes.length > limits.maxImageBytes) return `${bytes.length} bytes, over ${limits.maxImageBytes}`;
  let size: { width?: number; height?: number };
  try {
    size = imageSize(bytes);
  } catch {
    return `the ${mime} data cannot be read`;
  }
  const { width = 0, height = 0 } = size;
  if (width > limits.maxImageSide || height > limits.maxImageSide) return `${width}×${height}, over ${limits.maxImageSide}×${limits.maxImageSide}`;
  return null;
}

/** Teams' per-thread rate for new threads, kept in memory per bot and channel. */
export class ThreadRate {
  private readonly log = new Map<string, number[]>();

  constructor(private readonly windows = TEAMS_LIMITS.threadWindows) {}

  /** Records a request at `nowMs`; a Refusal (429 with Retry-After) when it is over a window. */
  take(bot: string, channelId: string, nowMs: number): Refusal | null {
    const key = `${bot}\n${channelId}`;
    const longest = Math.max(...this.windows.map((w) => w.ms));
    const times = (this.log.get(key) ?? []).filter((t) => t > nowMs - longest);
    let waitMs = 0;
    for (const { ms, max } of this.windows) {
      const inWindow = times.filter((t) => t > nowMs - ms);
      if (inWindow.length >= max) waitMs = Math.max(waitMs, inWindow[inWindow.length - max]! + ms - nowMs);
    }
    this.log.set(key, times);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return { status: 429, code: 'Throttled', message: 'Too many requests.', headers: { 'retry-after': String(seconds) } };
    }
    times.push(nowMs);
    return null;
  }

  /** Every accepted request time of a channel (for tests of the pace). */
  times(bot: string, channelId: string): number[] {
    return [...(this.log.get(`${bot}\n${channelId}`) ?? [])];
  }
}

// How the story image travels in a Teams card. Three paths, best first:
//   inline      the image itself as a data: URI, when the whole request stays
//               under the message budget;
//   link        a signed, expiring link to the artifact (PUBLIC_URL +
//               ARTIFACT_LINK_SECRET), which Teams fetches to show it;
//   downscaled  a smaller JPEG, inline, shrunk until it fits the budget.
// When Teams still answers 413 (message too large), the sender steps down
// this ladder; the last step is the card without its image (the "Open in
// Toucan" button still leads to the story).
//
// The budget. Microsoft's documented bot message limit has moved over the
// years: ~28 KB including inline images (Teams engineers on
// OfficeDev/BotBuilder-MicrosoftTeams#172 and MicrosoftDocs/msteams-docs#6659,
// 2018-2022), then 40 KB and now 100 KB "not including Base64-encoded images"
// (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages),
// while the Bot Connector itself refuses request bodies above 262144 bytes
// (MessageSizeTooBig, microsoft/botframework-sdk#6669). Since how base64
// images are counted has changed without notice, courier keeps the whole
// request under the strictest figure, 28 KB, measured as UTF-8 JSON bytes (a
// data: URI is ASCII, one byte per character), and relies on the 413 ladder
// if Teams is stricter still.
//
// The ladder is pure; downscaling uses sharp (libvips), the image library of
// the Node ecosystem.
import sharp from 'sharp';
import { signArtifactUrl } from '../server/signing.js';
import type { ImagePart } from './messages.js';

/** Bytes the whole POST /v3/conversations body may take with an inline image. */
export const TEAMS_MESSAGE_BUDGET_BYTES = 28 * 1024;

/** Teams shows card images up to 1024 px wide; a wider inline image only costs bytes. */
export const MAX_INLINE_WIDTH = 1024;

/** Below this width a chart's labels are unreadable: better no image than a smudge. */
export const MIN_DOWNSCALED_WIDTH = 320;

export type ImagePath = 'inline' | 'link' | 'downscaled' | 'none';

export type ImageStep =
  | { path: 'inline' }
  | { path: 'link'; url: string }
  | { path: 'downscaled'; maxChars: number }
  | { path: 'none' };

/** What the card finally carried, for logs and the demo's figures. */
export interface ImageChoice {
  path: ImagePath;
  /** The card's Image.url (data: URI or link); null for 'none'. */
  url: string | null;
  /** Encoded image bytes inside the card (0 for a link or none). */
  inlineBytes: number;
  width: number | null;
  height: number | null;
}

export function toDataUri(mime: string, data: Buffer): string {
  return `data:${mime};base64,${data.toString('base64')}`;
}

/** Length of the data: URI of `bytes` of image without building it. */
export function dataUriLength(mime: string, bytes: number): number {
  return `data:${mime};base64,`.length + Math.ceil(bytes / 3) * 4;
}

export interface LinkSettings {
  publicUrl: URL | null;
  secret: string | null;
  ttlSeconds: number;
}

/**
 * A signed link to the image artifact, or null when links are not possible:
 * no PUBLIC_URL/secret, no artifact path, or PUBLIC_URL is not https (Teams
 * does not load card images over plain http, so such a link would show a broken image).
 */
export function signedImageLink(settings: LinkSettings, artifactPath: string | null, now: Date): string | null {
  if (!settings.publicUrl || !settings.secret || !artifactPath) return null;
  if (settings.publicUrl.protocol !== 'https:') return null;
  const expires = Math.floor(now.getTime() / 1000) + settings.ttlSeconds;
  return signArtifactUrl(settings.publicUrl, settings.secret, artifactPath, expires);
}

export interface LadderInput {
  /** Length of the image's own data: URI. */
  dataUriChars: number;
  /** Characters left for the image URL in the budget (budget − the request without image). */
  room: number;
  /** A signed link, when one is possible. */
  link: string | null;
}

/**
 * The image steps to try in order. Inline only when it fits the room; then
 * the link; then a downscaled JPEG sized to the room, then to half of it (a
 * 413 means Teams is stricter than our budget); then no image. After an
 * inline image that fitted but was refused, only the half-size JPEG is worth
 * trying.
 */
export function imageLadder(input: LadderInput): ImageStep[] {
  const inlineFits = input.dataUriChars <= input.room;
  const steps: ImageStep[] = [];
  if (inlineFits) steps.push({ path: 'inline' });
  if (input.link) steps.push({ path: 'link', url: input.link });
  const room = Math.min(input.room, input.dataUriChars);
  if (!inlineFits && room > 0) steps.push({ path: 'downscaled', maxChars: room });
  if (room > 1) steps.push({ path: 'downscaled', maxChars: Math.floor(room / 2) });
  steps.push({ path: 'none' });
  return steps;
}

/** The first step of a ladder that this image can take, for reports and figures. */
export function firstPath(steps: ImageStep[]): ImagePath {
  return steps[0]?.path ?? 'none';
}

/**
 * Turns a step into the card's image. Null when the step cannot be taken
 * (a downscaled JPEG that cannot fit even at MIN_DOWNSCALED_WIDTH).
 */
export async function materializeStep(step: ImageStep, image: ImagePart): Promise<ImageChoice | null> {
  switch (step.path) {
    case 'inline':
      return { path: 'inline', url: toDataUri(image.mime, image.data), inlineBytes: image.data.length, width: image.width, height: image.height };
    case 'link':
      return { path: 'link', url: step.url, inlineBytes: 0, width: image.width, height: image.height };
    case 'downscaled': {
      const jpeg = await downscaleToFit(image, step.maxChars);
      if (!jpeg) return null;
      return { path: 'downscaled', url: toDataUri('image/jpeg', jpeg.data), inlineBytes: jpeg.data.length, width: jpeg.width, height: jpeg.height };
    }
    case 'none':
      return { path: 'none', url: null, inlineBytes: 0, width: null, height: null };
  }
}

export interface Downscaled {
  data: Buffer;
  width: number;
  height: number;
  quality: number;
}

/** JPEG qualities tried at each width: text in charts smears first, so quality drops before the width does. */
const QUALITIES = [80, 65, 50];

/**
 * A JPEG of the image whose data: URI is at most `maxChars` long: at most
 * MAX_INLINE_WIDTH wide, transparent areas on white, shrinking the width by
 * the square root of the overshoot (JPEG size follows the pixel count) until
 * it fits. Null when it cannot fit at MIN_DOWNSCALED_WIDTH.
 */
export async function downscaleToFit(image: ImagePart, maxChars: number): Promise<Downscaled | null> {
  const maxBytes = Math.floor((maxChars - 'data:image/jpeg;base64,'.length) / 4) * 3;
  if (maxBytes <= 0) return null;
  let width = Math.min(image.width, MAX_INLINE_WIDTH);
  for (let round = 0; round < 8 && width >= MIN_DOWNSCALED_WIDTH; round++) {
    let smallest = Infinity;
    for (const quality of QUALITIES) {
      const { data, info } = await sharp(image.data)
        .flatten({ background: '#ffffff' })
        .resize({ width, withoutEnlargement: true })
        .jpeg({ quality, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
      if (data.length <= maxBytes) return { data, width: info.width, height: info.height, quality };
      smallest = Math.min(smallest, data.length);
    }
    const next = Math.floor(width * Math.sqrt(maxBytes / smallest) * 0.95);
    width = next >= width ? width - 1 : next;
  }
  return null;
}

// How the story image travels in a Teams card, by Teams' own rules:
//
// - the message: about 100 KB "not including Base64-encoded images"
//   (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages);
// - the whole request: Azure Bot Service refuses a body over 262144 bytes
//   ("The request content length exceeded limit of 262144 bytes",
//   MessageSizeTooBig; microsoft/botframework-sdk#6669);
// - the image: PNG, JPEG or GIF within 1024 × 1024 and 1 MB (image-fit.ts).
//
// The steps, best first, each tried only when the one before cannot be taken:
//   inline   the image at full size (within 1024 × 1024) as a data: URI, as
//            captured, or scaled, or as a JPEG at the best quality that fits;
//   smaller  a JPEG smaller in pixels that fits the request;
//   link     a signed link (PUBLIC_URL over https) to the image, itself within
//            1024 × 1024 and 1 MB, kept as long as the link lives;
//   none     the card without its image ("Open in Toucan" still leads to the story).
// A 413 from Teams (stricter than documented) moves on to a smaller image at
// half the refused size, then down the rest of the list. Every choice comes
// with its reason, for the job's log.
//
// The ladder is pure; the pixels are image-fit.ts's.
import { extensionOf, imageFormatOf } from '../artifacts/formats.js';
import type { ArtifactLinks } from '../artifacts/links.js';
import { fitFullSize, shrinkToFit, type FittedImage } from './image-fit.js';
import type { ImagePart } from './messages.js';

/** The message without base64 images (Teams' documented ~100 KB). */
export const TEAMS_MESSAGE_MAX_BYTES = 100 * 1024;
/** The whole POST body, base64 images included (Azure Bot Service's 262144 bytes). */
export const TEAMS_REQUEST_MAX_BYTES = 256 * 1024;
/** Below this many image bytes a chart is not worth sending inline. */
const MIN_INLINE_IMAGE_BYTES = 4 * 1024;

export type ImagePath = 'inline' | 'smaller' | 'link' | 'none';

export type ImageStep = { path: 'inline'; maxBytes: number } | { path: 'smaller'; maxBytes: number; after413?: number } | { path: 'link' } | { path: 'none' };

/** What the card finally carried, for logs, tests and the demo's figures. */
export interface ImageChoice {
  path: ImagePath;
  /** The card's Image.url (data: URI or link); null for 'none'. */
  url: string | null;
  mime: FittedImage['mime'] | null;
  /** Bytes of the image file sent inline or linked (0 for none). */
  imageBytes: number;
  width: number | null;
  height: number | null;
  /** Why this step, in words. */
  reason: string;
}

export function toDataUri(mime: string, data: Buffer): string {
  return `data:${mime};base64,${data.toString('base64')}`;
}

/** Length of the data: URI of `bytes` of image without building it. */
export function dataUriLength(mime: string, bytes: number): number {
  return `data:${mime};base64,`.length + Math.ceil(bytes / 3) * 4;
}

/** Image bytes whose data: URI fits in `chars` characters (JSON keeps base64 as it is: one byte per character). */
export function imageBytesWithin(chars: number): number {
  return Math.max(0, Math.floor((chars - 'data:image/jpeg;base64,'.length) / 4) * 3);
}

export function kb(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}

/**
 * The steps for a request whose body without the image takes
 * `requestWithoutImage` bytes. The image may take what is left of the request
 * limit (and at most 1 MB).
 */
export function imageLadder(requestWithoutImage: number, linkPossible: boolean): ImageStep[] {
  const maxBytes = imageBytesWithin(TEAMS_REQUEST_MAX_BYTES - requestWithoutImage);
  const steps: ImageStep[] = [];
  if (maxBytes >= MIN_INLINE_IMAGE_BYTES) steps.push({ path: 'inline', maxBytes }, { path: 'smaller', maxBytes });
  if (linkPossible) steps.push({ path: 'link' });
  steps.push({ path: 'none' });
  return steps;
}

/**
 * The steps left after Teams answered 413 to `refused`: after the full-size
 * image, one smaller image of at most half its bytes (when that is still
 * worth sending); then the link and no image.
 */
export function afterRefusal(refused: ImageStep, refusedImageBytes: number, rest: ImageStep[]): ImageStep[] {
  const later = rest.filter((step) => step.path === 'link' || step.path === 'none');
  const half = Math.floor(refusedImageBytes / 2);
  if (refused.path === 'inline' && half >= MIN_INLINE_IMAGE_BYTES) {
    return [{ path: 'smaller', maxBytes: half, after413: refusedImageBytes }, ...later];
  }
  return later;
}

export interface StepContext {
  image: ImagePart;
  /** Signed links, when PUBLIC_URL and ARTIFACT_LINK_SECRET are set. */
  links: ArtifactLinks | null;
}

function describeSize(image: ImagePart, fitted: FittedImage): string {
  const what = fitted.mime === 'image/png' ? 'PNG' : `JPEG (quality ${fitted.quality ?? '?'})`;
  return `${what} ${fitted.width}×${fitted.height}, ${kb(fitted.data.length)}, from a ${image.width}×${image.height} capture of ${kb(image.data.length)}`;
}

function inlineChoice(path: 'inline' | 'smaller', fitted: FittedImage, reason: string): ImageChoice {
  return { path, url: toDataUri(fitted.mime, fitted.data), mime: fitted.mime, imageBytes: fitted.data.length, width: fitted.width, height: fitted.height, reason };
}

/** Why the full-size image is not sent inline (for the reason of a later step). */
function fullSizeProblem(image: ImagePart, maxBytes: number): string {
  return `at full size it does not fit the ${kb(maxBytes)} the card's text leaves of Teams' ${kb(TEAMS_REQUEST_MAX_BYTES)} request limit (capture ${image.width}×${image.height}, ${kb(image.data.length)})`;
}

/**
 * Turns a step into the card's image; null with a reason when the step
 * cannot be taken (the next one is tried).
 */
export async function takeStep(step: ImageStep, ctx: StepContext): Promise<ImageChoice | { skipped: string }> {
  const { image } = ctx;
  switch (step.path) {
    case 'inline': {
      const fitted = await fitFullSize(image, step.maxBytes);
      if (!fitted) return { skipped: `inline: ${fullSizeProblem(image, step.maxBytes)}` };
      const how = fitted.unchanged
        ? 'as captured'
        : fitted.width !== image.width || fitted.height !== image.height
          ? `scaled into Teams' 1024 × 1024 limit`
          : `re-encoded to fit the request`;
      return inlineChoice('inline', fitted, `inline ${how}: ${describeSize(image, fitted)}`);
    }
    case 'smaller': {
      const fitted = await shrinkToFit(image, step.maxBytes);
      const why = step.after413 !== undefined ? `Teams refused the ${kb(step.after413)} image (HTTP 413)` : fullSizeProblem(image, step.maxBytes);
      if (!fitted) return { skipped: `smaller: ${why}, and no readable size fits ${kb(step.maxBytes)}` };
      return inlineChoice('smaller', fitted, `a smaller image, as ${why}: ${describeSize(image, fitted)}`);
    }
    case 'link': {
      const { links } = ctx;
      if (!links || !links.allows('card-image') || !image.artifactPath) return { skipped: 'link: no https PUBLIC_URL or no stored artifact' };
      // The linked file obeys the same 1024 × 1024 and 1 MB: a resized copy beside the artifact when needed.
      const fitted = (await fitFullSize(image, Number.POSITIVE_INFINITY)) ?? (await shrinkToFit(image, Number.POSITIVE_INFINITY));
      if (!fitted) return { skipped: 'link: the image cannot be brought within 1024 × 1024 and 1 MB' };
      let path = image.artifactPath;
      let url: string;
      try {
        if (!fitted.unchanged) path = await links.saveBeside(image.artifactPath, 'teams', extensionOf(imageFormatOf(fitted.mime)), fitted.data);
        ({ url } = await links.link(path, 'card-image'));
      } catch (err) {
        return { skipped: `link: cannot keep the linked image in the artifacts directory (${err instanceof Error ? err.message : String(err)})` };
      }
      return { path: 'link', url, mime: fitted.mime, imageBytes: fitted.data.length, width: fitted.width, height: fitted.height, reason: `a signed link (valid ${Math.round(links.ttlSeconds / 86400)} days) to ${path}: ${describeSize(image, fitted)}` };
    }
    case 'none':
      return { path: 'none', url: null, mime: null, imageBytes: 0, width: null, height: null, reason: 'no image: no inline size fits and no https signed link is possible' };
  }
}

// The one maker of signed links to artifacts (every link courier sends is
// made here), with the one rule on https: a person's browser opens a link
// over http or https, but Teams loads a card image only over https, so a
// link for a card image is made only when PUBLIC_URL is https.
//
// Links keep their promise: every link made here also records (keep.ts)
// that its file must outlive ARTIFACTS_TTL_DAYS until the link expires, so
// an "Open report" button or a linked image in a months-old post still
// works. Also writes files derived from an artifact (an image resized for
// Teams) beside it, for a link to point at.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { signArtifactUrl } from './signing.js';
import { keepUntil } from './keep.js';
import { resolveInside } from './store.js';

export interface SignedLink {
  url: string;
  /** When the link expires (unix seconds). */
  expires: number;
}

/**
 * Who opens a link: `browser`, a person (an email's link, a card's "Open
 * report" button), over http or https; `card-image`, Teams itself loading a
 * card's image, over https only.
 */
export type LinkUse = 'browser' | 'card-image';

export interface ArtifactLinks {
  /** ARTIFACT_LINK_TTL_SECONDS. */
  readonly ttlSeconds: number;
  /** Whether a link for this use can be made (a card image needs an https PUBLIC_URL). */
  allows(use: LinkUse): boolean;
  /** A link valid for ttlSeconds from now, its file kept at least that long; throws when the use is not allowed. */
  link(path: string, use: LinkUse): Promise<SignedLink>;
  /** A link without the keep record yet (for callers deciding synchronously); call keep() for it before it is sent. */
  sign(path: string, use: LinkUse): SignedLink;
  keep(path: string, until: number): Promise<void>;
  /**
   * Writes `data` beside the artifact as `<name without extension>.<suffix>.<extension>`
   * (write then rename, like every artifact) and returns its path.
   */
  saveBeside(path: string, suffix: string, extension: string, data: Buffer): Promise<string>;
}

export type LinksConfig = Pick<Config, 'artifactsDir' | 'publicUrl' | 'artifactLinkSecret' | 'artifactLinkTtlSeconds'>;

export interface ArtifactLinksDeps {
  config: LinksConfig;
  /** The clock of link expiry (tests move it). */
  now?: () => Date;
}

/** Null when links are off (no PUBLIC_URL or no ARTIFACT_LINK_SECRET). */
export function createArtifactLinks({ config, now = () => new Date() }: ArtifactLinksDeps): ArtifactLinks | null {
  const { publicUrl, artifactLinkSecret: secret, artifactLinkTtlSeconds: ttlSeconds } = config;
  if (!publicUrl || !secret) return null;
  const root = resolve(config.artifactsDir);
  const absolute = (path: string): string => {
    const full = resolveInside(root, path);
    if (full === null) throw new Error(`artifact path ${JSON.stringify(path)} is outside the artifacts directory`);
    return full;
  };
  const https = publicUrl.protocol === 'https:';
  const allows = (use: LinkUse): boolean => use === 'browser' || https;
  const sign = (path: string, use: LinkUse): SignedLink => {
    if (!allows(use)) throw new Error(`a ${use} link needs PUBLIC_URL over https (it is ${publicUrl.origin})`);
    absolute(path);
    const expires = Math.floor(now().getTime() / 1000) + ttlSeconds;
    return { url: signArtifactUrl(publicUrl, secret, path, expires), expires };
  };
  const keep = (path: string, until: number): Promise<void> => keepUntil(absolute(path), until);
  return {
    ttlSeconds,
    allows,
    sign,
    keep,
    async link(path, use) {
      const signed = sign(path, use);
      await keep(path, signed.expires);
      return signed;
    },
    async saveBeside(path, suffix, extension, data) {
      const derived = path.replace(/\.[^./]+$/, '') + `.${suffix}.${extension}`;
      const full = absolute(derived);
      const temporary = join(dirname(full), `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temporary, data);
        await rename(temporary, full);
      } catch (err) {
        await rm(temporary, { force: true });
        throw err;
      }
      return derived;
    },
  };
}

// Signed links to artifacts that keep their promise: every link made here
// also records (keep.ts) that its file must outlive ARTIFACTS_TTL_DAYS until
// the link expires, so an "Open report" button or a linked image in a
// months-old post still works. Also writes files derived from an artifact
// (an image resized for Teams) beside it, for a link to point at.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { signArtifactUrl } from '../server/signing.js';
import { keepUntil } from './keep.js';
import { resolveInside } from './store.js';

export interface SignedLink {
  url: string;
  /** When the link expires (unix seconds). */
  expires: number;
}

export interface ArtifactLinks {
  /** ARTIFACT_LINK_TTL_SECONDS. */
  readonly ttlSeconds: number;
  /** PUBLIC_URL is https: Teams loads card images only over https. */
  readonly https: boolean;
  /** A link valid for ttlSeconds from now, its file kept at least that long. */
  link(path: string): Promise<SignedLink>;
  /** A link without the keep record yet (for callers deciding synchronously); call keep() for it before it is sent. */
  sign(path: string): SignedLink;
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
  const sign = (path: string): SignedLink => {
    absolute(path);
    const expires = Math.floor(now().getTime() / 1000) + ttlSeconds;
    return { url: signArtifactUrl(publicUrl, secret, path, expires), expires };
  };
  const keep = (path: string, until: number): Promise<void> => keepUntil(absolute(path), until);
  return {
    ttlSeconds,
    https: publicUrl.protocol === 'https:',
    sign,
    keep,
    async link(path) {
      const signed = sign(path);
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

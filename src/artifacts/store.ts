// Rendered files on disk: <ARTIFACTS_DIR>/<queue>/<yyyy-mm-dd UTC>/<jobId>.<ext>.
// The layout is the contract of result paths (CONTRACT §4), of signed links
// and of the TTL sweep, so it is built here and nowhere else.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { QueueName } from '../contracts/queues.js';
import type { Artifact } from '../contracts/result.js';
import { extensionOf, type Capture } from './formats.js';

/**
 * A job id as a file name. Scheduler job ids look like
 * `repeat:weekly-sales:1732000000000`; anything but letters, digits, `-`,
 * `_` and inner dots becomes `_`, so an id can never name a folder or climb
 * out of one.
 */
export function safeFileStem(jobId: string): string {
  const cleaned = jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned.length > 0 ? cleaned.slice(0, 200) : '_';
}

/** The UTC date folder of a moment. */
export function dateFolder(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Resolves a relative artifact path inside the artifacts directory, or null
 * when it would leave it (`..`, absolute paths, empty or odd segments).
 */
export function resolveInside(root: string, relativePath: string): string | null {
  if (relativePath.length === 0 || relativePath.includes('\0') || relativePath.includes('\\')) return null;
  const segments = relativePath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = resolve(root);
  const full = resolve(base, ...segments);
  return full.startsWith(base + sep) ? full : null;
}

export interface SaveRequest {
  queue: QueueName;
  jobId: string;
  /** When the job started: picks the date folder, so every file of one attempt shares it. */
  at: Date;
  capture: Capture;
  /** Extra name part for a job with several files: `<jobId>.<variant>.<ext>`. */
  variant?: string;
  /** The job's signal: an attempt that has stopped writes no file. */
  signal?: AbortSignal;
}

export interface ArtifactStore {
  /** Absolute artifacts directory. */
  readonly root: string;
  /** Path relative to the root, with `/` separators (as in results and links). */
  relativePath(queue: QueueName, jobId: string, at: Date, extension: string, variant?: string): string;
  /** Absolute path of a relative artifact path; throws if it would leave the root. */
  absolutePath(relativePath: string): string;
  /** Where the renderer keeps the page as it was when readiness timed out: `<jobId>[.<name>].timeout.png` (name: one story of several). */
  timeoutScreenshotPath(queue: QueueName, jobId: string, at: Date, name?: string): string;
  /** Writes the capture (atomically: a reader never sees half a file) and describes it. */
  save(request: SaveRequest): Promise<Artifact>;
}

export function createArtifactStore({ dir }: { dir: string }): ArtifactStore {
  const root = resolve(dir);

  const relativePath = (queue: QueueName, jobId: string, at: Date, extension: string, variant?: string): string => {
    const stem = variant ? `${safeFileStem(jobId)}.${safeFileStem(variant)}` : safeFileStem(jobId);
    return `${queue}/${dateFolder(at)}/${stem}.${extension}`;
  };

  const absolutePath = (path: string): string => {
    const full = resolveInside(root, path);
    if (full === null) throw new Error(`artifact path ${JSON.stringify(path)} is outside the artifacts directory`);
    return full;
  };

  return {
    root,
    relativePath,
    absolutePath,
    timeoutScreenshotPath: (queue, jobId, at, name) => absolutePath(relativePath(queue, jobId, at, extensionOf('png'), name ? `${name}.timeout` : 'timeout')),

    async save({ queue, jobId, at, capture, variant, signal }) {
      signal?.throwIfAborted();
      const path = relativePath(queue, jobId, at, extensionOf(capture.format), variant);
      const full = absolutePath(path);
      await mkdir(dirname(full), { recursive: true });
      // Write then rename: a retry of the same job replaces the file in one
      // step, and the HTTP server never serves a partial file.
      const temporary = join(dirname(full), `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temporary, capture.data, { signal });
        // The last moment to refuse: a stopped attempt never replaces a file a retry may have written.
        signal?.throwIfAborted();
        await rename(temporary, full);
      } catch (err) {
        await rm(temporary, { force: true });
        throw err;
      }
      return {
        path,
        mime: capture.mime,
        bytes: capture.data.length,
        sha256: createHash('sha256').update(capture.data).digest('hex'),
        width: capture.width,
        height: capture.height,
        pages: capture.pages,
      };
    },
  };
}

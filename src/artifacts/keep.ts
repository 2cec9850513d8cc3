// "Keep until" records. A signed link promises its file until the link
// expires (ARTIFACT_LINK_TTL_SECONDS, 90 days by default), while the sweep
// would delete the file after ARTIFACTS_TTL_DAYS (7). Each link signed for
// an artifact therefore leaves an empty marker beside the file:
//
//   <queue>/<date>/.<file name>.keep-until-<unix seconds>
//
// and the sweep keeps the file while any of its markers lies in the future;
// a marker itself is deleted once its time has passed, so both go together.
// The time is in the marker's name, so writing one is a single create:
// workers that link the same file at once never shorten each other's
// promise, and the record sits on the same volume as the file it protects,
// so whichever process sweeps sees both. Pure apart from keepUntil().
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const MARKER = /^\.(.+)\.keep-until-(\d{1,12})$/;

export function keepMarkerName(fileName: string, untilSeconds: number): string {
  return `.${fileName}.keep-until-${Math.ceil(untilSeconds)}`;
}

/** The file a marker protects and until when (unix seconds); null for any other name. */
export function parseKeepMarker(name: string): { file: string; untilSeconds: number } | null {
  const m = MARKER.exec(name);
  return m ? { file: m[1]!, untilSeconds: Number(m[2]) } : null;
}

/** For the names of one folder: each protected file and the latest time it is promised until (unix seconds). */
export function keepPromises(names: string[]): Map<string, number> {
  const promises = new Map<string, number>();
  for (const name of names) {
    const marker = parseKeepMarker(name);
    if (marker && marker.untilSeconds > (promises.get(marker.file) ?? 0)) promises.set(marker.file, marker.untilSeconds);
  }
  return promises;
}

/**
 * Whether the sweep may delete an entry of a date folder: a marker once its
 * time has passed; a file once it is older than the cutoff and no marker
 * promises it any longer.
 */
export function sweepMayDelete(name: string, mtimeMs: number, cutoffMs: number, promises: Map<string, number>, nowMs: number): boolean {
  const marker = parseKeepMarker(name);
  if (marker) return marker.untilSeconds * 1000 <= nowMs;
  return mtimeMs < cutoffMs && (promises.get(name) ?? 0) * 1000 <= nowMs;
}

/**
 * Records beside `absoluteFile` that it must be kept until `untilSeconds`.
 * A file that is not there (its folder neither) has nothing to keep: that
 * is not an error.
 */
export async function keepUntil(absoluteFile: string, untilSeconds: number): Promise<void> {
  try {
    await writeFile(join(dirname(absoluteFile), keepMarkerName(basename(absoluteFile), untilSeconds)), '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

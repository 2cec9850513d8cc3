// ARTIFACTS_TTL_DAYS: files older than the TTL are deleted, and date folders
// left empty are removed. Only the layout courier writes is touched
// (<queue>/<yyyy-mm-dd>/files), so an ARTIFACTS_DIR shared with anything
// else never loses a file it did not create. ARTIFACTS_TTL_DAYS=0 keeps
// files forever. A file a signed link points to is kept until the link
// expires (keep.ts). Several pods may sweep one shared ARTIFACTS_DIR at once:
// whatever one deletes first, the others find gone and go on.
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '../contracts/queues.js';
import type { Logger } from '../log.js';
import { keepPromises, sweepMayDelete } from './keep.js';
import { dateFolder } from './store.js';

const DAY_MS = 86_400_000;
const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

export interface SweepResult {
  deletedFiles: number;
  removedFolders: number;
}

export interface SweepOptions {
  root: string;
  ttlDays: number;
  now?: Date;
}

/** ENOENT: deleted meanwhile, by another pod's sweep. */
function isGone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // not there yet: nothing to sweep
  }
}

export async function sweepArtifacts({ root, ttlDays, now = new Date() }: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = { deletedFiles: 0, removedFolders: 0 };
  if (ttlDays <= 0) return result;
  const cutoff = now.getTime() - ttlDays * DAY_MS;
  // A folder of today or yesterday may be about to receive a file (a job
  // running across midnight UTC): never remove those, even when empty.
  const keepFoldersFrom = dateFolder(new Date(now.getTime() - DAY_MS));

  for (const queue of QUEUE_NAMES) {
    const queueDir = join(root, queue);
    for (const day of await entries(queueDir)) {
      if (!DATE_FOLDER.test(day)) continue;
      const dayDir = join(queueDir, day);
      let remaining = 0;
      const names = await entries(dayDir);
      const promises = keepPromises(names);
      for (const name of names) {
        const file = join(dayDir, name);
        try {
          const info = await stat(file);
          if (info.isFile() && sweepMayDelete(name, info.mtimeMs, cutoff, promises, now.getTime())) {
            await unlink(file);
            result.deletedFiles += 1;
          } else {
            remaining += 1;
          }
        } catch (err) {
          // Several pods sweep one shared directory: a file another sweeper
          // deleted first is gone, as wanted. Unreadable: leave the folder alone this time.
          if (!isGone(err)) remaining += 1;
        }
      }
      if (remaining === 0 && day < keepFoldersFrom) {
        try {
          await rmdir(dayDir);
          result.removedFolders += 1;
        } catch {
          // a file arrived meanwhile (keep the folder), or another pod removed it first
        }
      }
    }
  }
  return result;
}

/** Sweeps now, then every `intervalMs`, until stopped. Errors are logged, never thrown. */
export function startArtifactSweeper({ root, ttlDays, log, intervalMs = 3_600_000 }: { root: string; ttlDays: number; log: Logger; intervalMs?: number }): { stop(): void; done: Promise<void> } {
  const run = async (): Promise<void> => {
    try {
      const { deletedFiles, removedFolders } = await sweepArtifacts({ root, ttlDays });
      if (deletedFiles > 0 || removedFolders > 0) log.info({ deletedFiles, removedFolders, ttlDays }, 'artifacts older than ARTIFACTS_TTL_DAYS deleted');
    } catch (err) {
      log.warn({ err }, 'artifact sweep failed');
    }
  };
  const done = run();
  const timer = ttlDays > 0 ? setInterval(() => void run(), intervalMs) : null;
  timer?.unref();
  return {
    done,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

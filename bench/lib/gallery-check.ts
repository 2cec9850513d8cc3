// The gallery, through a real worker: is each capture the story's final
// frame (pixels compared with its still variant), and do misbehaving
// stories end within their timeout plus a small margin, with their cause?
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePng, differingShare } from '../../test/helpers/image.js';
import { GALLERY_STORIES, HOME_STORIES, type GalleryStack } from '../../test/fixtures/gallery/stack.js';
import type { CourierClient, JobRecord } from './courier.js';
import { storyJob } from './environment.js';
import { descendantsOf } from './proc-tree.js';

export interface GalleryCheck {
  story: string;
  /** Share of pixels that differ from the still variant's capture (0..1). */
  differing: number;
}

export interface MisbehavingCheck {
  case: string;
  timeoutMs: number;
  /** Time in the worker until the job ended (for the killed renderer: from the kill). */
  endedMs: number;
  /** "completed", or the failure's code and the start of its reason. */
  outcome: string;
}

export async function checkGallery(client: CourierClient, gallery: GalleryStack, artifactsDir: string): Promise<GalleryCheck[]> {
  const picture = (record: JobRecord): Buffer => {
    if (!record.artifactPath) throw new Error(`gallery check: job ${record.id} failed: ${record.failedReason ?? 'no artifact'}`);
    return readFileSync(join(artifactsDir, record.artifactPath));
  };
  const checks: GalleryCheck[] = [];
  // The old gallery and the tall and living stories of issue 21 alike.
  for (const story of [...GALLERY_STORIES, ...HOME_STORIES]) {
    const [moving, still] = await Promise.all([client.once(storyJob(gallery, story)), client.once(storyJob(gallery, story, { still: true }))]);
    checks.push({ story, differing: differingShare(decodePng(picture(moving)), decodePng(picture(still))) });
  }
  return checks;
}

const outcomeOf = (record: JobRecord): string => (record.failedReason ? record.failedReason.slice(0, 120) : 'completed');

/** The hung main thread, the dialogs and the renderer killed mid-render, on the worker whose process is `workerPid`. */
export async function checkMisbehaving(client: CourierClient, gallery: GalleryStack, workerPid: number): Promise<MisbehavingCheck[]> {
  const timeoutMs = 5000;
  const hang = await client.once({ ...storyJob(gallery, 'hang'), timeoutMs });
  const dialogs = await client.once({ ...storyJob(gallery, 'dialogs'), timeoutMs });

  const slow = client.once({ ...storyJob(gallery, 'echarts', { dataDelay: 3000 }), timeoutMs });
  const seen = gallery.backendRequests.length;
  while (!gallery.backendRequests.slice(seen).some((r) => r.path.includes('delay=3000'))) await new Promise((r) => setTimeout(r, 20));
  const killedAt = Date.now();
  for (const pid of renderersOf(workerPid)) process.kill(pid, 'SIGKILL');
  const crashed = await slow;

  return [
    { case: 'main thread in an endless loop', timeoutMs, endedMs: hang.processMs, outcome: outcomeOf(hang) },
    { case: 'alert() and confirm()', timeoutMs, endedMs: dialogs.processMs, outcome: outcomeOf(dialogs) },
    { case: 'renderer killed mid-render (time from the kill)', timeoutMs, endedMs: crashed.finishedAt - killedAt, outcome: outcomeOf(crashed) },
  ];
}

function renderersOf(root: number): number[] {
  return descendantsOf(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
}

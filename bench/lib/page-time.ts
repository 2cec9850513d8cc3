// Courier measured against the page, not against itself: each job's time in
// the worker (BullMQ's processedOn → finishedOn) next to the time the page
// itself needed to draw its final frame (its beacon, from its navigation
// start). The difference is what the worker adds: making the page, reaching
// the story, noticing it is ready, capturing, storing, answering. Pure.
import type { Beacon } from '../../test/fixtures/gallery/stack.js';
import type { JobRecord } from './courier.js';

export interface PageTimedJob {
  id: string;
  processMs: number;
  finalFrameMs: number;
  overheadMs: number;
}

/** The beacon run id a gallery story URL carries (`?run=…`). */
export function runOf(url: string | null): string | null {
  if (!url) return null;
  return new URL(url, 'http://story.local').searchParams.get('run');
}

/** Jobs joined with their page's beacon; jobs without one (failed, or no beacon yet) are left out. */
export function againstPage(records: readonly JobRecord[], beacons: readonly Beacon[]): PageTimedJob[] {
  const byRun = new Map(beacons.filter((b) => !b.still).map((b) => [b.run, b]));
  return records.flatMap((r) => {
    const beacon = byRun.get(runOf(r.url) ?? '');
    if (!beacon || r.timings === null) return [];
    return [{ id: r.id, processMs: r.processMs, finalFrameMs: Math.round(beacon.finalFrameMs), overheadMs: Math.round(r.processMs - beacon.finalFrameMs) }];
  });
}

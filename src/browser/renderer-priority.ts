// The pages' renderer processes run at a lower CPU priority than the rest
// of the worker: the Node process, Chromium's browser process, its GPU
// (display compositor) and network processes.
//
// Why: with CONCURRENCY above the number of cores, the cores are busy
// almost all the time, mostly with the stories' own JavaScript (at
// CONCURRENCY 4 on 2 cores, renderers used about 1050 ms of CPU per job,
// everything else together about 500). What finishes a job is short work in
// the other processes: the DevTools answers, the capture (the compositor
// draws, the browser encodes), the artifact and Redis. At equal priority
// each of those steps waited behind four busy renderers; a renderer at nice
// 10 still gets every cycle nobody else wants, so the pages lose nothing
// when the machine is idle. Measured side by side (bench/README.md): the
// time from a story's final frame to its job's end fell from 180 to 148 ms,
// and the pages themselves did not get slower. It also keeps the worker's
// Redis lock renewals and health answers on time when the cores are full.
//
// How: Linux gives a forked process the priority of the thread that forked
// it, and every renderer is forked by Chromium's zygote. So the zygote's
// forking thread is lowered (with the sandbox, the zygote and the process
// that reaps it in its PID namespace; both carry `--type=zygote`), and any
// renderer that already exists is lowered thread by thread. Lowering needs
// no privilege; a worker running as root (where Chromium itself raises its
// display threads to nice -8) keeps those raised threads as they are.
import { getPriority, setPriority } from 'node:os';
import { commandLineOf, descendantsOf, threadsOf } from './process-tree.js';

/** Nice value of the renderers (0 is the default, 19 the lowest priority). */
export const RENDERER_NICE = 10;

export interface ChromiumProcess {
  pid: number;
  commandLine: string;
}

export interface PriorityTargets {
  /** Zygotes that fork renderers: only their forking (main) thread is lowered. */
  zygotes: number[];
  /** Renderers already running: every thread is lowered. */
  renderers: number[];
}

/**
 * Which processes of a Chromium tree to lower. Pure. The other zygote
 * (`--no-zygote-sandbox`) forks the GPU process, which stays as it is.
 */
export function priorityTargets(processes: readonly ChromiumProcess[]): PriorityTargets {
  const type = (p: ChromiumProcess) => /(?:^|\s)--type=(\S+)/.exec(p.commandLine)?.[1];
  return {
    zygotes: processes.filter((p) => type(p) === 'zygote' && !p.commandLine.includes('--no-zygote-sandbox')).map((p) => p.pid),
    renderers: processes.filter((p) => type(p) === 'renderer').map((p) => p.pid),
  };
}

export interface Lowered {
  zygotes: number;
  renderers: number;
}

/**
 * Lowers the priority of the renderers of the browser `browserPid`, now and
 * to come. Best effort: a process that ended or refused is skipped, and a
 * system without /proc lowers nothing (`zygotes: 0`).
 */
export function lowerRendererPriority(browserPid: number, nice = RENDERER_NICE): Lowered {
  const lowered: Lowered = { zygotes: 0, renderers: 0 };
  for (const pid of priorityTargets(chromiumTree(browserPid)).zygotes) if (lower(pid, nice)) lowered.zygotes += 1;
  // Looked for again once the zygotes are lowered: a renderer forked while
  // the first look was under way is missing from it, yet was forked at the
  // old priority. Any renderer forked from now on inherits the new one.
  const lowerRenderers = () => {
    let renderers = 0;
    let threads = 0;
    for (const pid of priorityTargets(chromiumTree(browserPid)).renderers) {
      const tids = threadsOf(pid);
      threads += tids.filter((tid) => {
        const priority = priorityOf(tid);
        return priority !== null && priority >= 0 && priority !== nice;
      }).length;
      if (tids.filter((tid) => lower(tid, nice)).length > 0) renderers += 1;
    }
    return { renderers, threads };
  };
  lowered.renderers = lowerRenderers().renderers;
  // A thread a renderer started while its threads were being lowered began
  // at the old priority: a pass that still found one goes round again.
  for (let pass = 0; pass < 3 && lowerRenderers().threads > 0; pass++);
  return lowered;
}

function chromiumTree(browserPid: number): ChromiumProcess[] {
  return descendantsOf(browserPid).flatMap((pid) => {
    const commandLine = commandLineOf(pid);
    return commandLine === null ? [] : [{ pid, commandLine }];
  });
}

function priorityOf(tid: number): number | null {
  try {
    return getPriority(tid);
  } catch {
    return null; // gone
  }
}

function lower(tid: number, nice: number): boolean {
  try {
    // A thread Chromium raised (a display thread, as root) stays raised, as it would in a renderer forked later.
    if (getPriority(tid) < 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false; // gone, or not ours
  }
}

// Memory of a process and all its descendants (a worker and its Chromium:
// browser, zygotes, renderers, GPU and utility processes), read from /proc.
// Linux only, which is where courier runs.
//
// RSS is what the issue asks for (VmRSS summed over the tree). Summed RSS
// counts a page shared by several processes once per process, so it
// overstates what the tree really costs; PSS (proportional set size, from
// smaps_rollup) shares such pages out and sums to the truth. Both are given.
import { descendantsOf, parentOf, processTable, readProcText as readText, statFields } from '../../src/browser/process-tree.js';

export { descendantsOf, parentOf };

export interface TreeMemory {
  /** Processes in the tree, the root included. */
  processes: number;
  rssMb: number;
  /** null where smaps_rollup cannot be read (another user's process, old kernels). */
  pssMb: number | null;
}

/** A "Key:   1234 kB" field of /proc/<pid>/status or smaps_rollup, in kB. */
export function kbField(text: string, key: string): number | null {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

export function treeMemory(root: number): TreeMemory {
  let rssKb = 0;
  let pssKb: number | null = 0;
  let processes = 0;
  for (const pid of descendantsOf(root)) {
    const status = readText(`/proc/${pid}/status`);
    const rss = status ? kbField(status, 'VmRSS') : null;
    if (rss === null) continue; // gone, or a kernel thread
    processes += 1;
    rssKb += rss;
    const rollup = readText(`/proc/${pid}/smaps_rollup`);
    const pss = rollup ? kbField(rollup, 'Pss') : null;
    pssKb = pss === null || pssKb === null ? null : pssKb + pss;
  }
  return { processes, rssMb: Math.round(rssKb / 1024), pssMb: pssKb === null ? null : Math.round(pssKb / 1024) };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux courier runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) used so far by the tree, including children
 * that have ended and been waited for (a closed page's renderer is counted
 * in its zygote's cutime, a recycled browser in the worker's).
 */
export function treeCpuMs(root: number): number {
  let ticks = 0;
  for (const pid of descendantsOf(root)) {
    const stat = readText(`/proc/${pid}/stat`);
    if (!stat) continue;
    // Fields after the command: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
    const fields = statFields(stat) ?? [];
    for (const index of [11, 12, 13, 14]) ticks += Number(fields[index]) || 0;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Samples treeMemory() every `intervalMs` and keeps the peak, until stop(). */
export function sampleTreeMemory(root: number, intervalMs = 1000): { peak(): TreeMemory | null; stop(): TreeMemory | null } {
  let peak: TreeMemory | null = null;
  const take = () => {
    const now = treeMemory(root);
    if (now.processes > 0 && (peak === null || now.rssMb > peak.rssMb)) peak = now;
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** One process of the machine, from /proc. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  command: string;
}

/** The processes whose parent is `ppid`, with their command names. */
export function childProcesses(ppid: number): ProcessEntry[] {
  return processTable()
    .filter((p) => p.ppid === ppid)
    .map(({ pid, stat }) => ({ pid, ppid, command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) }));
}

/** The Chromium browser process a worker launched: its direct child named chrom*. */
export function chromiumOf(workerPid: number): ProcessEntry | undefined {
  return childProcesses(workerPid).find((p) => /chrom/i.test(p.command));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

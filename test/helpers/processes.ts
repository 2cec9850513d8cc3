// Which processes are still there: Chromium's helpers share the browser's
// process group, so a test can check that none survive a close.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { commandLineOf, descendantsOf, statFields } from '../../src/browser/process-tree.js';

/** The pids in a process group. */
export function processGroup(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=']).toString();
  return out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, group]) => group === pgid)
    .map(([pid]) => pid!);
}

/** Running, and not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** The nice value of a process's main thread (field 19 of /proc/<pid>/stat). */
export function niceOf(pid: number): number {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return Number(fields?.[16]);
}

/** The renderer processes of a Chromium browser (its descendants started with --type=renderer). */
export function renderersOf(browserPid: number): number[] {
  return descendantsOf(browserPid).filter((pid) => commandLineOf(pid)?.includes('--type=renderer'));
}

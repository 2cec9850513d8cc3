// Chromium's processes as Linux shows them in /proc: who is whose child,
// and what each was started as. Used to give the renderers their priority
// (renderer-priority.ts); the benchmark reads memory and CPU time the same way.
import { readFileSync, readdirSync } from 'node:fs';

/** A file of /proc, or null when the process ended while we looked (or /proc is not there). */
export function readProcText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1], nice [16]); the name may hold spaces and parentheses. */
export function statFields(stat: string): string[] | null {
  const end = stat.lastIndexOf(')');
  return end < 0 ? null : stat.slice(end + 2).split(' ');
}

/** Parent pid from /proc/<pid>/stat. */
export function parentOf(stat: string): number | null {
  const ppid = Number(statFields(stat)?.[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Every process /proc shows, with its parent and its stat line (none where /proc cannot be read). */
export function processTable(): { pid: number; ppid: number; stat: string }[] {
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // not Linux: no processes to see
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    const stat = readProcText(`/proc/${entry}/stat`);
    const ppid = stat ? parentOf(stat) : null;
    return stat && ppid !== null ? [{ pid: Number(entry), ppid, stat }] : [];
  });
}

/** The pid and all its descendants, found by walking every process's parent (just the pid where /proc cannot be read). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processTable()) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** The command line a process was started with (arguments joined by spaces), or null. */
export function commandLineOf(pid: number): string | null {
  return readProcText(`/proc/${pid}/cmdline`)?.split('\0').join(' ').trim() ?? null;
}

/** The threads of a process (its main thread's id is its pid). */
export function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

// `courier worker` as a real child process, the way an operator runs it, for
// the fault suite: it can be signalled, killed with -9, have its Chromium
// killed, and its JSON log lines read.
//
// Which program: when this file runs compiled (dist/bench/…, `npm run
// chaos`), the worker is the compiled CLI (`node dist/src/cli.js worker`),
// the same code the `courier` bin runs; when it runs from source (vitest,
// tsx), the worker runs from source too (`node --import tsx src/cli.ts
// worker`), so a test never exercises a stale build.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fromRoot } from '../../src/paths.js';

export type LogLine = Record<string, unknown> & { msg?: string; jobId?: string; level?: string; reason?: string };

export interface ChaosWorker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: LogLine[];
  /** Resolves with the exit status (null when killed by a signal). */
  readonly exit: Promise<number | null>;
  readonly running: boolean;
  /** The first log line (past or future) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and wait for the exit status (SIGKILL after `timeoutMs`). */
  terminate(timeoutMs?: number): Promise<number | null>;
}

export const workerStarted = (l: LogLine): boolean => l.msg === 'worker started';
export const jobStarted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job started' && l.jobId === jobId;
export const jobCompleted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job completed' && l.jobId === jobId;
export const attemptFailed = (jobId: string) => (l: LogLine): boolean => l.jobId === jobId && (l.msg === 'job attempt failed; it will be retried' || l.msg === 'job failed');

/** How this file is running: compiled under dist/, or from source. */
function workerCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  return here.startsWith(fromRoot('dist'))
    ? [fromRoot('dist', 'src', 'cli.js'), 'worker']
    : ['--import', 'tsx', fromRoot('src', 'cli.ts'), 'worker'];
}

export function startChaosWorker(name: string, env: Record<string, string>, args: string[] = []): ChaosWorker {
  const child = spawn(process.execPath, [...workerCommand(), ...args], {
    cwd: fromRoot(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start the ${name} worker process`);
  const pid = child.pid;
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stderr }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      lines.push({ msg: text });
    }
    for (const wake of waiters) wake();
  });
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
      for (const wake of waiters) wake();
    }),
  );

  const waitFor = (match: (line: LogLine) => boolean, timeoutMs = 120_000, what = 'a matching log line'): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (exited) {
          done();
          reject(new Error(`the ${name} worker exited before ${what}; last lines: ${JSON.stringify(lines.slice(-5))}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} from the ${name} worker within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-5))}`));
      }, timeoutMs);
      const done = (): void => {
        waiters.delete(check);
        clearTimeout(timer);
      };
      waiters.add(check);
      check();
    });

  return {
    name,
    child,
    pid,
    lines,
    exit,
    get running() {
      return !exited;
    },
    waitFor,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async terminate(timeoutMs = 150_000) {
      if (!exited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One process of the machine, from /proc. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  command: string;
}

/** The processes whose parent is `ppid` (Linux /proc). */
export function childProcesses(ppid: number): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const command = stat.slice(stat.indexOf('(') + 1, close);
      const parent = Number(stat.slice(close + 2).split(' ')[1]);
      if (parent === ppid) found.push({ pid: Number(entry), ppid: parent, command });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
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

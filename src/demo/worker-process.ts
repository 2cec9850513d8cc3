// `courier worker` as a real child process, the way an operator runs it:
// `courier demo` starts one, and so do the benchmark, the fault suite and
// the tests, which signal it, kill it, and read its JSON log lines.
//
// Which program: compiled (this file under dist/), the worker is the
// compiled CLI, `node dist/src/cli.js worker`, the code the `courier` bin
// runs; from source (vitest, tsx), it is `node --import tsx src/cli.ts
// worker`, so a test never exercises a stale build.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fromRoot } from '../paths.js';

export type LogLine = Record<string, unknown> & { msg?: string; jobId?: string; level?: string; reason?: string };

export interface WorkerProcessOptions {
  /** Names the worker in error messages. */
  name?: string;
  /**
   * Start from this process's environment (default), or from PATH and HOME
   * only, so nothing of the caller's own configuration leaks in.
   */
  inheritEnv?: boolean;
  /** Node options before the script, e.g. ['--cpu-prof'] (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Keep every log line (default); false keeps the first 200 and every warning or error, for long runs. */
  keepLines?: boolean;
  /** Sees every log line as it arrives. */
  onLine?: (line: LogLine) => void;
  /**
   * Its own process group, out of reach of the terminal's Ctrl-C, so the
   * caller alone signals it: `courier demo --serve` sends one SIGTERM (a
   * clean drain) where a Ctrl-C reaching both would make a second signal
   * (stop at once).
   */
  ownProcessGroup?: boolean;
  /** Run as this user and group (the caller must be root): as the container runs it, not as root. */
  uid?: number;
  gid?: number;
}

export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The log lines so far (parsed JSON, or { msg } for anything else); see `keepLines`. */
  readonly lines: LogLine[];
  /** How many lines carried each message (e.g. counts.get('job completed')), whatever `keepLines` says. */
  readonly counts: Map<string, number>;
  /** The exit status (null when killed by a signal). */
  readonly exit: Promise<number | null>;
  readonly running: boolean;
  /** The first log line (past or future) that matches; rejects if the worker exits first or the time runs out. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the worker drains and exits 0), then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export const workerStarted = (l: LogLine): boolean => l.msg === 'worker started';
export const jobStarted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job started' && l.jobId === jobId;
export const jobCompleted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job completed' && l.jobId === jobId;
export const attemptFailed = (jobId: string) => (l: LogLine): boolean => l.jobId === jobId && (l.msg === 'job attempt failed; it will be retried' || l.msg === 'job failed');

/** The node arguments that run `courier worker` from wherever this file runs. */
export function workerCommand(): string[] {
  return fileURLToPath(import.meta.url).startsWith(fromRoot('dist'))
    ? [fromRoot('dist', 'src', 'cli.js'), 'worker']
    : ['--import', 'tsx', fromRoot('src', 'cli.ts'), 'worker'];
}

/** Spawns the worker and returns at once (see startWorkerProcess to wait until it is ready). */
export function spawnWorkerProcess(env: Record<string, string | undefined>, options: WorkerProcessOptions = {}, args: string[] = []): WorkerProcess {
  const name = options.name ?? 'courier';
  const base = options.inheritEnv === false ? { PATH: process.env.PATH, HOME: process.env.HOME } : process.env;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...workerCommand(), ...args], {
    cwd: fromRoot(),
    env: { ...base, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: options.ownProcessGroup ?? false,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  if (child.pid === undefined) throw new Error(`could not start the ${name} worker process`);
  const pid = child.pid;
  const lines: LogLine[] = [];
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const keepLines = options.keepLines ?? true;
  createInterface({ input: child.stderr }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    if (typeof line.msg === 'string') counts.set(line.msg, (counts.get(line.msg) ?? 0) + 1);
    // A long run need not keep every job line; the start and problem lines matter.
    if (keepLines || lines.length < 200 || line.level === 'error' || line.level === 'warn') lines.push(line);
    options.onLine?.(line);
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
      const last = () => JSON.stringify(lines.slice(-5));
      const check = (): void => {
        const found = lines.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (exited) {
          done();
          reject(new Error(`the ${name} worker exited before ${what}; last lines: ${last()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} from the ${name} worker within ${timeoutMs} ms; last lines: ${last()}`));
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
    counts,
    exit,
    get running() {
      return !exited;
    },
    waitFor,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async stop(graceMs = 150_000) {
      if (!exited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Spawns the worker and waits for its "worker started" line (Chromium is warm by then). */
export async function startWorkerProcess(env: Record<string, string | undefined>, options: WorkerProcessOptions & { startTimeoutMs?: number } = {}): Promise<WorkerProcess> {
  const worker = spawnWorkerProcess(env, options);
  try {
    await worker.waitFor(workerStarted, options.startTimeoutMs ?? 60_000, '"worker started"');
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}

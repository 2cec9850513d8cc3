// `courier worker` as a real child process (`node --import tsx src/cli.ts
// worker`), as an operator runs it: tests signal it, kill it, and read its
// JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fromRoot } from '../../src/paths.js';

export type LogLine = Record<string, unknown> & { msg?: string; jobId?: string };

export interface WorkerProcess {
  child: ChildProcess;
  lines: LogLine[];
  exit: Promise<number | null>;
  /** Resolves with the first log line (past or future) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
}

export const workerStarted = (l: LogLine): boolean => l.msg === 'worker started';
export const jobStarted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job started' && l.jobId === jobId;
export const jobCompleted = (jobId: string) => (l: LogLine): boolean => l.msg === 'job completed' && l.jobId === jobId;

/** Starts a worker with the given environment (on top of PATH, HOME and the test CA). */
export function startWorkerProcess(env: Record<string, string | undefined>, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('src', 'cli.ts'), 'worker', ...args], {
    cwd: fromRoot(),
    env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
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
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exit,
    waitFor(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

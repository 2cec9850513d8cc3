// A real `courier worker` process, as an operator runs it (the built
// dist/src/cli.js, not tsx), for the benchmark and the fault suite. It reads
// the worker's JSON log lines so a caller can wait for one ("worker started")
// or count them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fromRoot } from '../../src/paths.js';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every log line so far (parsed JSON, or { msg } for anything else); see `keepLines`. */
  readonly lines: LogLine[];
  /** How many lines carried each message, e.g. counts.get('job completed'); kept whatever `keepLines` says. */
  readonly counts: Map<string, number>;
  readonly exit: Promise<number | null>;
  /** Resolves with the first line (past or future) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM (the worker drains and exits 0), SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export const CLI_ENTRY = fromRoot('dist', 'src', 'cli.js');

/**
 * Starts `node dist/src/cli.js worker` with `env` on top of this process's
 * environment, and waits for its "worker started" line (Chromium is warm
 * by then).
 */
export interface WorkerProcessOptions {
  startTimeoutMs?: number;
  /** Keep every log line (default); false keeps the first 200 and every warning or error, for long runs. */
  keepLines?: boolean;
  /** Node options before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=prof'] (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

export async function startWorkerProcess(env: Record<string, string>, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_ENTRY, 'worker'], {
    cwd: fromRoot(),
    env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
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
    // A long run need not keep every job line; the start and error lines matter.
    if (keepLines || lines.length < 200 || line.level === 'error' || line.level === 'warn') lines.push(line);
    for (const wake of waiters) wake();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitFor = (match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
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
        reject(new Error(`worker ${pid}: no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-5))}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const worker: WorkerProcess = {
    child,
    pid,
    lines,
    counts,
    exit,
    waitFor,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  const exitedEarly = exit.then((code) => {
    throw new Error(`the worker exited (status ${code}) before it started; last lines: ${JSON.stringify(lines.slice(-5))}`);
  });
  exitedEarly.catch(() => undefined); // only the race below cares
  try {
    await Promise.race([waitFor((l) => l.msg === 'worker started', options.startTimeoutMs ?? 60_000), exitedEarly]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return worker;
}

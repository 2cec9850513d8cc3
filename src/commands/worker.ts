// `courier worker [--queues a,b] [--concurrency N]` (CONTRACT §1): consumes
// the queues until SIGTERM/SIGINT, then drains: no new job starts, active
// jobs finish (each bounded by JOB_TIMEOUT_MS), Chromium, Redis and the HTTP
// port close, exit 0. A second signal stops at once (exit 1).
import { InvalidArgumentError, type Command } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../contracts/index.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { createAdminConsole } from '../console/index.js';
import { startWorkerRuntime, type WorkerRuntime } from '../queue/runtime.js';
import { CONFIG_EXIT, fail, startCommand } from './shared.js';

interface WorkerFlags {
  queues?: QueueName[];
  concurrency?: number;
}

function parseQueues(value: string): QueueName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.filter((n) => !isQueueName(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${QUEUE_NAMES.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  }
  return [...new Set(names)] as QueueName[];
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

function flushLogs(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}

async function runWorker(flags: WorkerFlags): Promise<void> {
  const { config, log } = startCommand({ require: ['FRONTEND_URL', 'BACKEND_URL'] });
  let runtime: WorkerRuntime;
  try {
    runtime = await startWorkerRuntime({ config, log, queues: flags.queues, concurrency: flags.concurrency, admin: createAdminConsole({ config, log }) ?? undefined });
  } catch (err) {
    // A port already taken is a configuration mistake (exit 2): name the variable that chose it.
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const why = code === 'EADDRINUSE' ? 'is already in use (another courier worker, or another service)' : 'may not be opened by this user';
      fail(`courier: the worker could not start: HTTP_PORT=${config.httpPort}: the port ${why}; set HTTP_PORT to a free port, or 0 to turn the HTTP server off (${errorMessage(err)})`, CONFIG_EXIT);
    }
    // Anything else: one line, not a stack trace.
    fail(`courier: the worker could not start: ${errorMessage(err)}`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: stopping now without waiting for active jobs (they will be retried by another worker)');
      void flushLogs(log).then(() => process.exit(1));
      return;
    }
    stopping = true;
    log.info({ signal, drainLimitMs: config.jobTimeoutMs }, 'draining: no new jobs; waiting for active jobs to finish');
    // Active jobs end by JOB_TIMEOUT_MS at the latest, plus the send grace
    // for a send on the wire (SEND_TIMEOUT_MS); beyond that (plus time to
    // close Chromium and Redis) something is stuck: leave anyway.
    const guard = setTimeout(() => {
      log.error('drain did not finish in time; exiting');
      void flushLogs(log).then(() => process.exit(1));
    }, config.jobTimeoutMs + config.sendTimeoutMs + 30_000);
    guard.unref();
    runtime
      .close()
      .then(async () => {
        log.info('worker stopped cleanly');
        await flushLogs(log);
        process.exit(0);
      })
      .catch(async (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'error while stopping the worker');
        await flushLogs(log);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('consume the screenshot, pdf-report and alert queues until SIGTERM/SIGINT, then drain and exit 0')
    .option('--queues <list>', `comma-separated queues to consume (default: ${QUEUE_NAMES.join(',')})`, parseQueues)
    .option('--concurrency <n>', 'pages rendered at once (overrides CONCURRENCY)', parseConcurrency)
    .action(async (flags: WorkerFlags) => {
      await runWorker(flags);
    });
}

// Assembly in a worker thread with a capped heap (see assembleReportOffThread).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { validateRequest, type AssembleRequest, type AssembledReport } from './types.js';

export interface OffThreadOptions {
  /** Heap cap of the assembly thread (old generation), MB. */
  maxHeapMb?: number;
  /** Stops the assembly (job deadline, shutdown): the thread is terminated. */
  signal?: AbortSignal;
}

/**
 * A 100-page report assembles within a 128 MB heap (measured: vector and
 * raster pages alike; captures and the output live outside the JS heap, in
 * buffers); four times that leaves room for heavy stories without letting a
 * runaway assembly take the worker's memory.
 */
export const DEFAULT_THREAD_HEAP_MB = 512;

type ThreadReply = { ok: true; report: AssembledReport } | { ok: false; message: string };

/** tsx's ESM API (the package's own "./esm/api" import export), for a thread that must load .ts files. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } } | string> };
  const entry = manifest.exports['./esm/api'];
  const target = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!target) throw new Error('tsx has no ESM API export: cannot run the assembly thread from TypeScript sources');
  return pathToFileURL(join(dirname(manifestPath), target)).href;
}

/**
 * How to start the thread: assemble-thread.js beside this file in the built
 * dist/; under vitest or tsx (this file is .ts), a bootstrap that loads
 * assemble-thread.ts through tsx's API, because on Node 20 a worker neither
 * inherits tsx's hooks nor accepts them in execArgv (nodejs/node#47747).
 */
function threadStart(): { entry: URL | string; eval: boolean } {
  const ext = extname(fileURLToPath(import.meta.url));
  const thread = new URL(`./assemble-thread${ext}`, import.meta.url);
  if (ext !== '.ts') return { entry: thread, eval: false };
  const href = JSON.stringify(thread.href);
  return { entry: `import(${JSON.stringify(tsxApiUrl())}).then(({ tsImport }) => tsImport(${href}, ${href}));`, eval: true };
}

/**
 * Assembles in a worker thread with a capped heap, so that a 100-page report
 * never stalls this thread's event loop (BullMQ lock renewals, health
 * checks, other jobs) and a runaway assembly dies alone.
 */
export async function assembleReportOffThread(req: AssembleRequest, options: OffThreadOptions = {}): Promise<AssembledReport> {
  validateRequest(req);
  const start = threadStart();
  const heapMb = options.maxHeapMb ?? DEFAULT_THREAD_HEAP_MB;
  return await new Promise<AssembledReport>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('report assembly aborted'));
      return;
    }
    const worker = new Worker(start.entry, { eval: start.eval, workerData: req, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('report assembly aborted')));
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: ThreadReply) => {
      settle(() => (reply.ok ? resolve(reply.report) : reject(new Error(`report assembly failed: ${reply.message}`))));
    });
    worker.once('error', (err: Error & { code?: string }) => {
      const message = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `report assembly ran out of memory (thread heap capped at ${heapMb} MB)` : `report assembly failed: ${err.message}`;
      settle(() => reject(new Error(message, { cause: err })));
    });
    worker.once('exit', (code) => {
      settle(() => reject(new Error(`report assembly thread exited (code ${code}) without a result`)));
    });
  });
}

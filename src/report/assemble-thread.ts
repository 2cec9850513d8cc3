// Worker-thread entry of assembleReportOffThread: assembles the request it
// was started with, posts the report back (its bytes transferred, not
// copied) and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { assembleReport } from './assemble.js';
import type { AssembleRequest } from './types.js';

if (!parentPort) throw new Error('assemble-thread.ts runs as a worker thread (see assembleReportOffThread)');
const port = parentPort;

try {
  const report = await assembleReport(workerData as AssembleRequest);
  port.postMessage({ ok: true, report }, [report.data.buffer as ArrayBuffer]);
} catch (err) {
  port.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
}

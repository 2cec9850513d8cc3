// Closing a BullMQ Worker while Redis is away (restarting, failing over).
//
// Worker.close() waits for its fetch loop, and a fetch that was in flight
// when Redis went away waits for Redis to come back: ioredis keeps the
// command to send it again on reconnection (maxRetriesPerRequest: null,
// which BullMQ requires of a Worker's connection). A worker told to stop
// during an outage then hung until its drain deadline (seen in the
// reconnect test: about one stop in two).
//
// Once the worker's own jobs are over, ending a connection that is waiting
// to reconnect loses nothing: the fetch fails as closed and the loop ends.
// A job that fetch may already have taken in Redis is found stalled and run
// by another worker, and its deliveries are deduplicated by the ledger.
import type { Worker } from 'bullmq';

/** Closes `worker`; once `jobsOver` settles, a connection without Redis is ended instead of waited for. */
export async function closeWorker(worker: Worker, jobsOver: Promise<unknown>): Promise<void> {
  const closing = worker.close();
  await jobsOver;
  // Only a client that has connected once: one still starting has nothing in flight.
  const client = await Promise.race([worker.getBackend().client, Promise.resolve(undefined)]);
  if (client) {
    const end = () => void worker.disconnect().catch(() => undefined);
    if (client.status === 'ready') {
      // Redis may still go away while the close finishes.
      client.once('reconnecting', end);
      void closing.finally(() => client.off('reconnecting', end)).catch(() => undefined);
    } else end();
  }
  await closing;
}

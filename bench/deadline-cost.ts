// `npx tsx bench/deadline-cost.ts`: what JOB_TIMEOUT_MS adds to a job that
// was not delivering when it passed (issue 26: the send grace must cost such
// a job nothing). A worker runtime in this process, the demo's Toucan stack,
// Chromium and Redis; each job renders a story whose data never arrives in
// time, so the deadline always comes mid-render. Prints, over N jobs, the
// time from the deadline to the attempt's end as BullMQ recorded it
// (finishedOn − processedOn − JOB_TIMEOUT_MS). Not part of the tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { bullConnection } from '../src/redis/connection.js';
import { ToucanStack } from '../src/demo/toucan-stack.js';
import { deleteKeysUnder } from '../src/demo/redis-server.js';
import { createLogger } from '../src/log.js';
import { createProducer } from '../src/queue/producer.js';
import { startWorkerRuntime } from '../src/queue/runtime.js';

const JOBS = Number(process.env.JOBS ?? 8);
const JOB_TIMEOUT_MS = 3000;

async function main(): Promise<void> {
  const stack = await ToucanStack.start();
  const artifacts = mkdtempSync(join(tmpdir(), 'courier-deadline-'));
  const prefix = `courier-deadline-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    FRONTEND_URL: stack.frontendUrl,
    BACKEND_URL: stack.backendUrl,
    ARTIFACTS_DIR: artifacts,
    HTTP_PORT: '0',
    JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS),
    SELECTOR_TIMEOUT_MS: '60000',
  });
  const runtime = await startWorkerRuntime({ config, log: createLogger('silent') });
  const producer = createProducer({ config });
  const connection = bullConnection(config, 'blocking');
  const queue = new Queue('screenshot', { connection: connection.connection, prefix });
  const past: number[] = [];
  try {
    for (let i = 0; i < JOBS; i++) {
      // The story's data call answers after a minute: the render is in flight at the deadline.
      const { id } = await producer.enqueue('screenshot', { url: `/demo?slide=sales&delay=60000&n=${i}&export=true`, auth: { token: stack.token } }, { attempts: 1 });
      await producer.waitFor('screenshot', id, 60_000).catch(() => undefined);
      const job = await queue.getJob(id);
      if (job?.finishedOn && job.processedOn) past.push(job.finishedOn - job.processedOn - JOB_TIMEOUT_MS);
    }
  } finally {
    await producer.close();
    await queue.close();
    connection.release();
    await runtime.close();
    await stack.close();
    await deleteKeysUnder(config.redisUrl, prefix).catch(() => undefined);
    rmSync(artifacts, { recursive: true, force: true });
  }
  past.sort((a, b) => a - b);
  const median = past[Math.floor(past.length / 2)] ?? NaN;
  console.log(`time past JOB_TIMEOUT_MS (${JOB_TIMEOUT_MS} ms) to the attempt's end, ${past.length} jobs that were rendering: median ${median} ms, min ${past[0]} ms, max ${past[past.length - 1]} ms`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

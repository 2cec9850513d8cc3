// Worker processes as an operator runs them (`node --import tsx src/cli.ts
// worker`, real child processes): SIGTERM drains an active job and exits 0;
// kill -9 mid-job leaves the job to another worker (stalled-job recovery);
// two workers on one Redis split a burst.
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { bullConnection } from '../../src/redis/connection.js';
import type { Producer } from '../../src/queue/producer.js';
import { jobCompleted, jobStarted, spawnWorkerProcess, workerStarted, type WorkerProcess } from '../../src/demo/worker-process.js';
import { startWorld, type World } from '../helpers/world.js';

let world: World;
let stack: ToucanStack;
let producer: Producer;
let queue: Queue;
const running: WorkerProcess[] = [];

/** A worker process on the world's stack and prefix; each its own HTTP port (several run at once). */
function startWorker(env: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorkerProcess({
    ...world.env,
    HTTP_PORT: '0',
    ...env,
  });
  running.push(worker);
  return worker;
}

const started = jobStarted;
const completed = jobCompleted;
const ready = workerStarted;
/** A story that takes `ms` to load its data: an active job for that long. */
const slowStory = (ms: number) => ({ url: `/demo?slide=sales&delay=${ms}&export=true`, auth: { token: stack.token } });

beforeAll(async () => {
  world = await startWorld({ name: 'queue-shutdown', runtime: false });
  ({ stack, producer } = world);
  queue = new Queue('screenshot', { connection: bullConnection(world.config, 'blocking').connection, prefix: world.prefix });
});

afterEach(async () => {
  for (const w of running.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGKILL');
      await w.exit;
    }
  }
});

afterAll(async () => {
  await queue?.close();
  await world?.close();
});

describe('worker processes', () => {
  it('SIGTERM during an active job: the job completes, no new job starts, the worker exits 0', async () => {
    const worker = startWorker();
    await worker.waitFor(ready);
    const { id } = await producer.enqueue('screenshot', slowStory(4000));
    await worker.waitFor(started(id));

    worker.child.kill('SIGTERM');
    await worker.waitFor((l) => l.msg === 'draining: no new jobs; waiting for active jobs to finish');
    const late = await producer.enqueue('screenshot', slowStory(0));

    expect(await worker.exit).toBe(0);
    expect((await producer.waitFor('screenshot', id, 5_000)).artifacts).toHaveLength(1);
    const messages = worker.lines.map((l) => l.msg);
    expect(messages.indexOf('job completed')).toBeLessThan(messages.indexOf('worker stopped cleanly'));
    expect(worker.lines.some(started(late.id))).toBe(false);
    // Never started here; if BullMQ handed it over during the drain, it went straight back.
    expect(await queue.getJobState(late.id)).toBe('waiting');
    expect((await queue.getJob(late.id))?.attemptsMade).toBe(0);
    await queue.remove(late.id);
  });

  it('kill -9 during a job: a second worker completes it', async () => {
    const first = startWorker();
    const second = startWorker();
    await Promise.all([first.waitFor(ready), second.waitFor(ready)]);

    // Both workers are idle; whichever takes the job is the one killed.
    const { id } = await producer.enqueue('screenshot', slowStory(8000));
    const victim = await Promise.race([first.waitFor(started(id)).then(() => first), second.waitFor(started(id)).then(() => second)]);
    const survivor = victim === first ? second : first;
    const chromiumPid = Number((await victim.waitFor((l) => l.msg === 'chromium launched')).chromiumPid);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exit;

    await survivor.waitFor(started(id), 90_000);
    const pickupMs = Date.now() - killedAt;
    await survivor.waitFor(completed(id), 60_000);
    const result = await producer.waitFor('screenshot', id, 5_000);
    expect(result.artifacts).toHaveLength(1);
    const job = await queue.getJob(id);
    expect(job?.processedBy).toMatch(new RegExp(`:${survivor.child.pid}$`));
    console.log(`[measure] a killed worker's job was picked up again after ${pickupMs} ms`);

    // The killed worker's Chromium notices its pipe closed and exits by itself.
    const alive = () => {
      try {
        process.kill(chromiumPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 15_000, interval: 200 }).toBe(false);
  });

  it('two workers on one Redis split a burst of jobs', async () => {
    const workers = [startWorker(), startWorker()];
    await Promise.all(workers.map((w) => w.waitFor(ready)));
    const ids = await Promise.all(Array.from({ length: 10 }, () => producer.enqueue('screenshot', slowStory(1500)).then((j) => j.id)));
    await Promise.all(ids.map((id) => producer.waitFor('screenshot', id, 120_000)));

    const byWorker = new Map<string, number>();
    for (const id of ids) {
      const by = (await queue.getJob(id))?.processedBy ?? '?';
      byWorker.set(by, (byWorker.get(by) ?? 0) + 1);
    }
    const names = workers.map((w) => [...byWorker.keys()].find((name) => name.endsWith(`:${w.child.pid}`)));
    expect(names.every((n) => n !== undefined)).toBe(true);
    expect(byWorker.size).toBe(2);
    for (const count of byWorker.values()) expect(count).toBeGreaterThanOrEqual(2);
  });
});

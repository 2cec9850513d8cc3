// `npm run bench:console`: what the console costs a worker nobody opens it
// on. Two real `courier worker` processes, one without ADMIN_TOKEN and one
// with it set but never used, each idle after start; their resident memory
// (VmRSS of the Node process, Chromium's own processes aside) is sampled
// and the medians compared. The goal: under 5 MB more (the console, its
// bull-board and Hono, load only on the first request to /admin/).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/demo/redis-server.js';
import { ToucanStack } from '../src/demo/toucan-stack.js';
import { startWorkerProcess } from '../src/demo/worker-process.js';

const SAMPLES = 10;

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function idleRss(stack: ToucanStack, extra: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'courier-bench-console-'));
  const worker = await startWorkerProcess({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `bench-console-${randomBytes(4).toString('hex')}`,
    FRONTEND_URL: stack.frontendUrl,
    BACKEND_URL: stack.backendUrl,
    HTTP_PORT: String(await freePort()),
    ARTIFACTS_DIR: dir,
    LOG_LEVEL: 'info', // startWorkerProcess waits for the "worker started" line
    ...extra,
  });
  try {
    await new Promise((r) => setTimeout(r, 5000)); // past start-up's own allocations
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      samples.push(rssKb(worker.pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    return median(samples);
  } finally {
    await worker.stop(60_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

const stack = await ToucanStack.start({ token: randomBytes(16).toString('hex') });
try {
  const rounds: { without: number; with: number }[] = [];
  for (let round = 0; round < 3; round++) {
    const without = await idleRss(stack, {});
    const withToken = await idleRss(stack, { ADMIN_TOKEN: randomBytes(32).toString('hex'), ADMIN_WRITE_TOKEN: randomBytes(32).toString('hex') });
    rounds.push({ without, with: withToken });
    console.log(`round ${round + 1}: worker RSS ${(without / 1024).toFixed(1)} MB without ADMIN_TOKEN, ${(withToken / 1024).toFixed(1)} MB with it set and unused`);
  }
  const growth = (median(rounds.map((r) => r.with)) - median(rounds.map((r) => r.without))) / 1024;
  console.log(`median growth: ${growth.toFixed(1)} MB (goal: < 5 MB)`);
  process.exitCode = growth < 5 ? 0 : 1;
} finally {
  await stack.close();
}

// Everything a benchmark or fault run needs around the worker, started
// fresh and owned by the run: a private redis-server (no other user's keys
// or load), the Toucan-like stack on loopback, and a temporary artifacts
// directory. dispose() stops all of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { ScreenshotJobInput } from '../../src/contracts/screenshot.js';
import { RedisServer } from '../../src/demo/redis-server.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';

export interface BenchEnvironment {
  redis: RedisServer;
  stack: ToucanStack;
  /** Temporary directory removed by dispose(); artifacts go under it. */
  dir: string;
  /** Environment of a worker (and producer) on queue prefix `prefix`. */
  workerEnv(prefix: string, concurrency: number, extra?: Record<string, string>): Record<string, string>;
  /** The Config a producer in this process uses for `prefix`. */
  producerConfig(prefix: string): Config;
  dispose(): Promise<void>;
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const dir = mkdtempSync(join(tmpdir(), 'courier-bench-'));
  const redis = await RedisServer.start();
  let stack: ToucanStack;
  try {
    stack = await ToucanStack.start();
  } catch (err) {
    await redis.dispose();
    throw err;
  }
  const workerEnv = (prefix: string, concurrency: number, extra: Record<string, string> = {}): Record<string, string> => ({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    FRONTEND_URL: stack.frontendUrl,
    BACKEND_URL: stack.backendUrl,
    ARTIFACTS_DIR: join(dir, 'artifacts', prefix),
    HTTP_PORT: '0',
    CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'info',
    ...extra,
  });
  return {
    redis,
    stack,
    dir,
    workerEnv,
    producerConfig: (prefix) => loadConfig(workerEnv(prefix, 1)),
    async dispose() {
      await stack.close();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The bundled fixture story (demo/site/story.html): its data call answers
 * after `delayMs`, then it draws its chart and clears aria-busy.
 */
export function storyPath(delayMs: number, slide = 'sales'): string {
  return `/demo?slide=${slide}&delay=${delayMs}&export=true`;
}

/** A screenshot job of the fixture story: a PNG of the story element, stored, delivered nowhere. */
export function screenshotJob(stack: ToucanStack, delayMs: number): ScreenshotJobInput {
  return { url: storyPath(delayMs), auth: { token: stack.token }, format: 'png', smallApp: 'bench', title: 'Sales by region' };
}

// Everything a benchmark run needs around the worker, started fresh and
// owned by the run: a private redis-server (no other user's keys or load),
// the gallery (test/fixtures/gallery: stories drawn by real chart libraries,
// served like a real frontend) on loopback, and a temporary artifacts
// directory. dispose() stops all of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { ScreenshotJobInput } from '../../src/contracts/screenshot.js';
import { RedisServer } from '../../src/demo/redis-server.js';
import { GalleryStack, type GalleryStory, type StoryOptions } from '../../test/fixtures/gallery/stack.js';

/**
 * The benchmark's story: an ECharts bar chart on canvas with its default
 * animation, a title in a web font, and the gallery's 1.7 MB app bundle.
 */
export const BENCH_STORY: GalleryStory = 'echarts';
export const BENCH_SELECTOR = '.tc-story';

export interface BenchEnvironment {
  redis: RedisServer;
  gallery: GalleryStack;
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
  let gallery: GalleryStack;
  try {
    gallery = await GalleryStack.start();
  } catch (err) {
    await redis.dispose();
    throw err;
  }
  const workerEnv = (prefix: string, concurrency: number, extra: Record<string, string> = {}): Record<string, string> => ({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    FRONTEND_URL: gallery.frontendUrl,
    BACKEND_URL: gallery.backendUrl,
    SELECTOR: BENCH_SELECTOR,
    ARTIFACTS_DIR: join(dir, 'artifacts', prefix),
    HTTP_PORT: '0',
    CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'info',
    ...extra,
  });
  return {
    redis,
    gallery,
    dir,
    workerEnv,
    producerConfig: (prefix) => loadConfig(workerEnv(prefix, 1)),
    async dispose() {
      await gallery.close();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A screenshot job of a gallery story: a PNG of the story element, stored, delivered nowhere. Each has its own beacon run id. */
export function storyJob(gallery: GalleryStack, story: GalleryStory = BENCH_STORY, options: StoryOptions = {}): ScreenshotJobInput {
  return { url: gallery.storyPath(story, options), auth: { token: gallery.token }, format: 'png', smallApp: 'bench', title: 'Monthly revenue' };
}

// Redis connection settings for BullMQ, in one place. Each Queue, Worker and
// QueueEvents gets options (not a shared client), so BullMQ owns and closes
// its own connections.
import type { ConnectionOptions } from 'bullmq';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { redactUrlCredentials } from '../config.js';

/** ioredis understands redis:// and rediss://; Valkey's own schemes mean the same. */
export function normalizeRedisUrl(url: string): string {
  return url.replace(/^valkey(s?):\/\//, 'redis$1://');
}

/** The Redis URL for messages: the password, if any, replaced. */
export function describeRedis(config: Pick<Config, 'redisUrl'>): string {
  return redactUrlCredentials(normalizeRedisUrl(config.redisUrl));
}

/**
 * Worker side: BullMQ requires `maxRetriesPerRequest: null` so blocking
 * commands wait through a Redis restart instead of failing the worker;
 * ioredis reconnects forever.
 */
export function workerConnection(config: Pick<Config, 'redisUrl'>): ConnectionOptions {
  return { url: normalizeRedisUrl(config.redisUrl), maxRetriesPerRequest: null };
}

/**
 * Producer side (CLI, Node callers): commands fail fast while Redis is away
 * (no offline queue, one retry) instead of piling up in memory, and the
 * client keeps reconnecting in the background, so a long-lived producer
 * recovers by itself after a Redis restart.
 */
export function producerConnection(config: Pick<Config, 'redisUrl'>): ConnectionOptions {
  return { url: normalizeRedisUrl(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
}

/**
 * A plain client for our own keys and for health checks. The offline queue
 * is off so a PING while Redis is down fails at once instead of waiting.
 */
export function createRedisClient(config: Pick<Config, 'redisUrl'>, options: { failFast?: boolean } = {}): Redis {
  const client = new Redis(normalizeRedisUrl(config.redisUrl), {
    maxRetriesPerRequest: options.failFast ? 0 : 1,
    enableOfflineQueue: !options.failFast,
    connectTimeout: 5000,
    lazyConnect: false,
  });
  // Connection errors surface through the commands that fail; without a
  // listener ioredis would print each reconnection attempt to stderr.
  client.on('error', () => undefined);
  return client;
}

/**
 * PING with a deadline: true only if Redis answers PONG in time. Waits for
 * the connection to be ready first (a fail-fast client refuses commands
 * until then); a connection error counts as "no".
 */
export async function redisPing(client: Redis, timeoutMs: number): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const answer = (async () => {
      if (client.status !== 'ready') await once(client, 'ready', { signal: controller.signal });
      return (await client.ping()) === 'PONG';
    })();
    const timeout = new Promise<false>((resolve) => controller.signal.addEventListener('abort', () => resolve(false), { once: true }));
    return await Promise.race([answer.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

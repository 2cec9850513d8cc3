// Real Redis for tests: the one at REDIS_URL when it answers, otherwise a
// private redis-server started on a free port. Each test file gets its own
// queue prefix so files running in parallel never see each other's jobs.
import { randomBytes } from 'node:crypto';

export { RedisServer, freePort, redisAnswers } from '../../src/demo/redis-server.js';

/** The Redis URL the global setup chose (see global.ts). */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A queue prefix unique to the calling test, so parallel files never share keys. */
export function testPrefix(name = 'test'): string {
  return `courier-${name}-${randomBytes(4).toString('hex')}`;
}

/** Removes every key under a prefix (tests clean up after themselves on a shared Redis). */
export { deleteKeysUnder as flushPrefix } from '../../src/demo/redis-server.js';

// Runs once before all test files: makes sure a real Redis answers, starting
// a private redis-server when REDIS_URL (default 127.0.0.1:6379) does not.
import { RedisServer, redisAnswers } from './redis.js';

let owned: RedisServer | null = null;

export async function setup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) {
    process.env.REDIS_URL = url;
    return;
  }
  owned = await RedisServer.start();
  process.env.REDIS_URL = owned.url;
  console.log(`[test setup] no Redis answered at ${url}; started redis-server at ${owned.url}`);
}

export async function teardown(): Promise<void> {
  await owned?.dispose();
}

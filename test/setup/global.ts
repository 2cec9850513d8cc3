// Runs once before all test files: makes sure a real Redis answers, starting
// a private redis-server when REDIS_URL (default 127.0.0.1:6379) does not.
import { RedisServer, redisAnswers } from './redis.js';
import { extraCaCertsWithLoopbackCa } from '../../src/demo/bot-connector.js';

let owned: RedisServer | null = null;

export async function setup(): Promise<void> {
  // The Bot Connector stand-in speaks https with a loopback test CA made at run time (src/demo/loopback-tls.ts). Node reads
  // NODE_EXTRA_CA_CERTS only at process start, so it is set here, before vitest forks its workers.
  process.env.NODE_EXTRA_CA_CERTS = await extraCaCertsWithLoopbackCa(process.env.NODE_EXTRA_CA_CERTS);
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

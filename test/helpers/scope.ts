// The pieces of a test's set-up that startWorld (world.ts) is built from,
// for tests that need only these: a queue prefix of the test's own on the
// shared Redis, and a temp directory. Light on purpose: importing this
// loads no browser and no worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisClient, type RedisClient } from '../../src/redis/connection.js';
import { flushPrefix, testPrefix, testRedisUrl } from '../setup/redis.js';

/** A queue prefix of the test's own on the shared Redis (files run in parallel and never see each other's keys). */
export interface RedisScope {
  url: string;
  prefix: string;
  /** A new connection, as a separate worker process would have; closed with the scope. */
  connect(): RedisClient;
  /** Removes every key under the prefix and closes the connections. */
  close(): Promise<void>;
}

export function redisScope(name: string): RedisScope {
  const url = testRedisUrl();
  const prefix = testPrefix(name);
  const clients: RedisClient[] = [];
  return {
    url,
    prefix,
    connect() {
      const client = createRedisClient({ redisUrl: url });
      clients.push(client);
      return client;
    },
    async close() {
      await flushPrefix(url, prefix);
      for (const client of clients.splice(0)) client.disconnect();
    },
  };
}

/** A directory of the test's own under the system's temp directory. */
export function tempDir(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `courier-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

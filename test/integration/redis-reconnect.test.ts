// A worker told to stop while Redis is away (restarting, failing over)
// stops, instead of hanging until its drain deadline: ioredis' disconnect()
// of a client waiting to reconnect never ended it (src/queue/ioredis-fixes.ts).
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, createRedisClient } from '../../src/queue/connection.js';
import { RedisServer, testPrefix } from '../setup/redis.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => server?.dispose());

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('stopping while Redis is away', () => {
  it('a client waiting to reconnect ends at once when disconnected, and its queued command fails', async () => {
    const client = createRedisClient({ redisUrl: server.url });
    await client.ping();
    await server.stop();
    await until('the client to wait for a reconnection', () => client.status === 'reconnecting');
    const queued = client.get('k');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.disconnect();
    await ended;
    expect(client.status).toBe('end');
    await expect(queued).rejects.toThrow(/Connection is closed|max retries/);
    await server.start();
  });

  it('a BullMQ Worker closes during an outage, its blocking connection between two reconnection attempts', async () => {
    const config = { redisUrl: server.url, queuePrefix: testPrefix('reconnect') };
    const connection = bullConnection(config, 'blocking');
    const worker = new Worker('screenshot', () => Promise.resolve(null), { connection: connection.connection, prefix: config.queuePrefix });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    const blocking = await worker.getBackend().blockingClient;
    expect(blocking).toBeDefined();
    await server.stop();
    await until('the blocking connection to wait for a reconnection', () => blocking?.status === 'reconnecting');
    let closed = false;
    worker.on('closed', () => (closed = true));
    await worker.close(); // hung for good before the fix
    connection.release();
    expect(closed).toBe(true);
    await server.start();
  });
});

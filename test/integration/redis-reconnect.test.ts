// A worker told to stop while Redis is away (restarting, failing over)
// stops, instead of hanging until its drain deadline: ioredis' disconnect()
// and quit() of a client waiting to reconnect never ended it
// (src/queue/ioredis-fixes.ts), and BullMQ's close waited for a fetch that
// was in flight when Redis went away (src/queue/close-worker.ts).
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeWorker } from '../../src/queue/close-worker.js';
import { bullConnection, createRedisClient } from '../../src/redis/connection.js';
import { RedisServer, testPrefix } from '../setup/redis.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => server?.dispose());

/** A client that was connected, once Redis has gone away and it waits for its next reconnection attempt. */
async function clientWaitingToReconnect() {
  const client = createRedisClient({ redisUrl: server.url });
  await client.ping();
  const reconnecting = new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
  await server.stop();
  await reconnecting;
  return client;
}

describe('stopping while Redis is away', () => {
  it('a client waiting to reconnect ends at once when disconnected, and its queued command fails', async () => {
    const client = await clientWaitingToReconnect();
    expect(client.status).toBe('reconnecting');
    const queued = client.get('k');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.disconnect();
    await ended;
    expect(client.status).toBe('end');
    await expect(queued).rejects.toThrow(/Connection is closed|max retries/);
    await server.start();
  });

  it('a client waiting to reconnect, with commands queued, quits at once and its queued commands fail', async () => {
    const client = await clientWaitingToReconnect();
    const queued = client.get('k');
    await expect(client.quit()).resolves.toBe('OK'); // waited for Redis to come back before the fix
    expect(client.status).toBe('end');
    await expect(queued).rejects.toThrow(/Connection is closed/);
    await server.start();
  });

  it('a BullMQ Worker closes during an outage, its blocking connection between two reconnection attempts', async () => {
    const config = { redisUrl: server.url, queuePrefix: testPrefix('reconnect') };
    const connection = bullConnection(config, 'blocking');
    const worker = new Worker('screenshot', () => Promise.resolve(null), { connection: connection.connection, prefix: config.queuePrefix });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    const blocking = await worker.getBackend().blockingClient;
    if (!blocking) throw new Error('the worker has no blocking connection');
    await server.stop();
    // Polled, not awaited as the 'reconnecting' event: BullMQ is still handling the lost connection in that tick.
    await vi.waitFor(() => expect(blocking.status).toBe('reconnecting'), { timeout: 30_000, interval: 50 });
    let closed = false;
    worker.on('closed', () => (closed = true));
    await closeWorker(worker, Promise.resolve()); // hung for good before the fix
    connection.release();
    expect(closed).toBe(true);
    await server.start();
  });

  it('a BullMQ Worker closes during an outage that began while it was fetching a job', async () => {
    const config = { redisUrl: server.url, queuePrefix: testPrefix('reconnect') };
    // Writes paused: the Worker's first fetch (a script that moves a job to active) waits in Redis.
    const admin = createRedisClient({ redisUrl: server.url });
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const connection = bullConnection(config, 'blocking');
    const worker = new Worker('screenshot', () => Promise.resolve(null), { connection: connection.connection, prefix: config.queuePrefix });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    await vi.waitFor(async () => expect(String(await admin.call('CLIENT', 'LIST'))).toMatch(/flags=b .*cmd=eval(sha)? /), { timeout: 30_000, interval: 50 });
    admin.disconnect();
    await server.stop();
    let closed = false;
    worker.on('closed', () => (closed = true));
    await closeWorker(worker, Promise.resolve()); // waited for Redis to come back before the fix: ioredis keeps the fetch to send it again
    connection.release();
    expect(closed).toBe(true);
    await server.start();
  });
});

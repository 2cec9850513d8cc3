// REDIS_URL's forms against real redis-server processes on loopback,
// started here and stopped in afterAll (redis-topology.ts): a Cluster of 3
// masters and 3 replicas reached through seed nodes that do not own
// courier's slot, a Sentinel group (master, replica, 3 Sentinels) whose
// master is killed, and one node behind TLS with a CA made at test time.
// Bursts through the worker across each failover are the fault suite's
// (bench/chaos/scenarios/{cluster,sentinel}-failover.ts, run by chaos.test.ts);
// the refusal of a Cluster prefix without hash tag is test/unit/redis-url.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RedisClusterGroup, SentinelGroup } from '../../src/demo/redis-topology.js';
import { spawnWorkerProcess } from '../../src/demo/worker-process.js';
import { checkRedis } from '../../src/doctor.js';
import { createLogger } from '../../src/log.js';
import { bullConnection, createRedisClient, replicaConfirmer, unreachableReason } from '../../src/redis/connection.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/queue/runtime.js';
import { runCli } from '../fixtures/index.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { RedisServer, freePort, testPrefix } from '../setup/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'courier-topologies-'));
const jobFile = join(dir, 'job.json');
writeFileSync(jobFile, JSON.stringify({ url: '/demo?slide=sales', title: 'topology test' }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Log lines (JSON) written by a logger, for assertions on warnings. */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

describe('Redis Cluster (3 masters, 3 replicas)', () => {
  const prefix = `{${testPrefix('cluster')}}`;
  let cluster: RedisClusterGroup;
  let seeds: RedisServer[];

  beforeAll(async () => {
    cluster = await RedisClusterGroup.start({ password: 'cluster-test-password' });
    seeds = await cluster.nodesAwayFrom(`${prefix}:x`);
  });
  afterAll(async () => cluster?.dispose());

  it('enqueues, and doctor names the master of the slot, through seed nodes that do not own it', async () => {
    const { master } = await cluster.shardOf(`${prefix}:x`);
    expect(seeds.map((s) => s.port)).not.toContain(master.port);
    const config = { redisUrl: cluster.url(seeds), queuePrefix: prefix };

    const run = await runCli(['enqueue', 'screenshot', jobFile], { REDIS_URL: config.redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const id = run.stdout.trim();
    const connection = bullConnection(config, 'producer');
    const queue = new Queue('screenshot', { connection: connection.connection, prefix });
    try {
      expect((await queue.getJob(id))?.data).toEqual({ url: '/demo?slide=sales', title: 'topology test' });
    } finally {
      await queue.close();
      connection.release();
    }

    const [doctor] = await checkRedis(config);
    expect(doctor).toMatchObject({ name: 'redis', status: 'ok' });
    expect(doctor?.detail).toMatch(new RegExp(`answers PONG \\(Redis [\\d.]+\\); Cluster, master 127\\.0\\.0\\.1:${master.port}$`));
    expect(doctor?.detail).not.toContain('cluster-test-password');
  });

  it('explains a redis:// URL that names one node of the Cluster: MOVED, and the fix (enqueue, doctor, the worker log)', async () => {
    const single = { REDIS_URL: `redis://:cluster-test-password@127.0.0.1:${seeds[0]!.port}`, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    const run = await runCli(['enqueue', 'screenshot', jobFile], single);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/a Redis Cluster node answered MOVED: REDIS_URL names one node of a Cluster; use redis-cluster:\/\/host:port/);

    const [doctor] = await checkRedis({ redisUrl: single.REDIS_URL, queuePrefix: prefix });
    expect(doctor).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/is one node of a Redis Cluster$/) as unknown, hint: expect.stringMatching(/redis-cluster:\/\//) as unknown });

    // The worker: the real reason in its log, where it used to say "Redis unreachable?".
    const worker = spawnWorkerProcess({ ...single, FRONTEND_URL: 'http://127.0.0.1:9', BACKEND_URL: 'http://127.0.0.1:9', ARTIFACTS_DIR: join(dir, 'artifacts'), LOG_LEVEL: 'info' }, { name: 'moved', inheritEnv: false }, ['--queues', 'screenshot']);
    try {
      const line = await worker.waitFor((l) => l.msg?.startsWith('queue worker error:') === true, 60_000, 'a queue worker error');
      expect(line.msg).toMatch(/^queue worker error: a Redis Cluster node answered MOVED: REDIS_URL names one node of a Cluster/);
      expect(line.problem).toBe('cluster-redirect');
      expect(JSON.stringify(worker.lines)).not.toContain('Redis unreachable?');
    } finally {
      await worker.kill();
    }
  });
});

describe('Sentinel group (master, replica, 3 Sentinels)', () => {
  const prefix = testPrefix('sentinel');
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await SentinelGroup.start({ password: 'sentinel-test-password' });
  });
  afterAll(async () => group?.dispose());

  it('a write that must survive a failover waits until the replica has it (WAIT 1)', async () => {
    const config = { redisUrl: group.url, queuePrefix: prefix };
    const { log, lines } = capturingLogger();
    const client = createRedisClient(config);
    try {
      await client.set(`${prefix}:a`, '1');
      await replicaConfirmer(client, { config, log })();
      expect(lines).toEqual([]); // a warning would say no replica acknowledged it
    } finally {
      client.disconnect();
    }
  });

  it('/readyz and doctor say Sentinel and which node is master, before and after the master is killed', async () => {
    const httpPort = await freePort();
    const config = loadConfig({ REDIS_URL: group.url, QUEUE_PREFIX: prefix, FRONTEND_URL: 'http://127.0.0.1:9', BACKEND_URL: 'http://127.0.0.1:9', HTTP_PORT: String(httpPort), ARTIFACTS_DIR: join(dir, 'sentinel-artifacts') });
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).json()) as { status: string; redis: { topology: string; master: string | null; reason?: string } };
    let runtime: WorkerRuntime | null = null;
    try {
      runtime = await startWorkerRuntime({ config, log: createLogger('silent'), queues: ['screenshot'], httpHost: '127.0.0.1' });
      const before = await group.master();
      expect(await readyz()).toMatchObject({ status: 'ready', redis: { topology: 'sentinel', master: `127.0.0.1:${before.port}` } });
      expect((await checkRedis(config))[0]?.detail).toMatch(new RegExp(`Sentinel, master 127\\.0\\.0\\.1:${before.port}$`));

      await before.stop();
      const after = await group.promotionFrom(before);
      // Reconnected by itself, through the Sentinels.
      await expect
        .poll(() => readyz().catch((err: unknown) => String(err)), { timeout: 60_000, interval: 200 })
        .toMatchObject({ status: 'ready', redis: { topology: 'sentinel', master: `127.0.0.1:${after.port}` } });
      expect((await checkRedis(config))[0]?.detail).toMatch(new RegExp(`Sentinel, master 127\\.0\\.0\\.1:${after.port}$`));
    } finally {
      await runtime?.close();
    }
  });

  it('with no replica attached (the old master is gone), such a write says so once, then does not wait again for a while', async () => {
    const config = { redisUrl: group.url, queuePrefix: prefix };
    const { log, lines } = capturingLogger();
    const client = createRedisClient(config);
    try {
      const confirm = replicaConfirmer(client, { config, log, timeoutMs: 300 });
      await client.set(`${prefix}:b`, '2');
      await confirm();
      expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^no replica acknowledged courier's last write: a failover now could lose it/)]);
      await client.set(`${prefix}:c`, '3');
      await confirm();
      expect(lines).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });
});

describe('TLS (rediss://) with a private CA', () => {
  const prefix = testPrefix('tls');
  let ca: TestCa;
  let server: RedisServer;

  beforeAll(async () => {
    ca = await createTestCa();
    server = await RedisServer.start({ tls: { certFile: ca.certFile, keyFile: ca.keyFile, caFile: ca.caFile }, password: 'tls-test-password' });
  });
  afterAll(async () => {
    await server?.dispose();
    ca?.dispose();
  });

  it('works with the CA given as NODE_EXTRA_CA_CERTS, and says TLS (not "unreachable") without it or on a plain URL', async () => {
    const url = `rediss://:tls-test-password@localhost:${server.port}`;
    const env = { REDIS_URL: url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    const trusted = await runCli(['enqueue', 'screenshot', jobFile], { ...env, NODE_EXTRA_CA_CERTS: ca.bundleWith(process.env.NODE_EXTRA_CA_CERTS) });
    expect(trusted.stderr).toBe('');
    expect(trusted.status).toBe(0);
    const client = server.client();
    try {
      const stored = await client.hget(`${prefix}:screenshot:${trusted.stdout.trim()}`, 'data');
      expect(JSON.parse(stored ?? 'null')).toEqual({ url: '/demo?slide=sales', title: 'topology test' });
    } finally {
      client.disconnect();
    }

    const untrusted = await runCli(['enqueue', 'screenshot', jobFile], env);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(/cannot be used \(TLS failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)[^)]*\): a private CA must be given with NODE_EXTRA_CA_CERTS/);
    expect(untrusted.stderr).not.toContain('tls-test-password');

    // redis:// to the TLS port: the same check enqueue makes, in this process.
    expect(await unreachableReason({ redisUrl: `redis://:tls-test-password@localhost:${server.port}` }, 5000)).toMatch(/redis:\/\/ to a TLS port/);
  });

  it('reaches a Cluster on TLS (rediss-cluster://), every node verified against the CA', async () => {
    const cluster = await RedisClusterGroup.start({ masters: 3, replicasPerMaster: 0, password: 'tls-cluster-password', tls: { certFile: ca.certFile, keyFile: ca.keyFile, caFile: ca.caFile } });
    try {
      const clusterPrefix = `{${prefix}}`;
      const seeds = await cluster.nodesAwayFrom(`${clusterPrefix}:x`);
      const run = await runCli(['enqueue', 'screenshot', jobFile], { REDIS_URL: cluster.url(seeds), QUEUE_PREFIX: clusterPrefix, LOG_LEVEL: 'silent', NODE_EXTRA_CA_CERTS: ca.bundleWith(process.env.NODE_EXTRA_CA_CERTS) });
      // Masters only here: the producer's wait for a replica says there is none, once.
      expect(run.stderr.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([expect.stringMatching(/^no replica acknowledged courier's last write/)]);
      expect(run.status).toBe(0);
      expect(cluster.url(seeds)).toMatch(/^rediss-cluster:\/\//);
      const { master } = await cluster.shardOf(`${clusterPrefix}:x`);
      const client = master.client();
      try {
        expect(JSON.parse((await client.hget(`${clusterPrefix}:screenshot:${run.stdout.trim()}`, 'data')) ?? 'null')).toEqual({ url: '/demo?slide=sales', title: 'topology test' });
      } finally {
        client.disconnect();
      }
    } finally {
      await cluster.dispose();
    }
  });
});

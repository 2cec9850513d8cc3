// The one place where REDIS_URL becomes connections: BullMQ's (Queue,
// Worker, QueueEvents, job schedulers) and courier's own (receipts, alert
// state, schedules' set, health checks, doctor). One node, a Sentinel group
// or a Cluster (redis-url.ts); credentials and TLS go to every node.
//
// Ownership: for one node and Sentinel, BullMQ gets options and owns the
// connections it makes. A Cluster must be handed to BullMQ as an ioredis
// Cluster instance; BullMQ duplicates it for Workers and QueueEvents (and
// closes the copies) but leaves a Queue's instance open, so every caller
// calls release() after closing the BullMQ object.
import { once } from 'node:events';
import type { ConnectionOptions, Queue, RedisOptions as BullRedisOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { timeoutSignal, untilAborted, withTimeout } from '../deadline.js';
import type { Logger } from '../log.js';
import './ioredis-fixes.js';
import { explainRedisError } from './redis-errors.js';
import { clusterPrefixProblem, formatAddress, redactRedisUrl, redisTarget, type RedisTarget, type RedisTopology } from './redis-url.js';

export type RedisClient = Redis | Cluster;

/** The two settings this room needs (Config has them; the room sits below config, so it names them itself). */
export interface RedisSettings {
  /** REDIS_URL, as parsed by redis-url.ts. */
  redisUrl: string;
  /** QUEUE_PREFIX: on a Cluster it must hold a hash tag. */
  queuePrefix: string;
}

/**
 * How a connection behaves while Redis is away:
 * - `blocking`: Workers and QueueEvents. BullMQ requires `maxRetriesPerRequest:
 *   null`: commands wait through a restart or failover; ioredis reconnects forever.
 * - `producer`: Queues of producers and gauges: fail fast (no offline queue,
 *   one retry), keep reconnecting in the background.
 */
export type BullRole = 'blocking' | 'producer';

/** The URL for messages: the password, if any, replaced. */
export function describeRedis(config: Pick<RedisSettings, 'redisUrl'>): string {
  return redactRedisUrl(config.redisUrl);
}

export function topologyOf(config: Pick<RedisSettings, 'redisUrl'>): RedisTopology {
  return redisTarget(config.redisUrl).topology;
}

/**
 * After a failover a connection may still reach the demoted master, now a
 * replica: writes fail READONLY. Reconnecting (and sending the command
 * again) reaches the new master: through the Sentinels, or the DNS name of
 * a managed service's primary endpoint.
 */
export function reconnectOnReadonly(err: Error): 2 | false {
  return /^READONLY\b/.test(err.message) ? 2 : false;
}

/** Options every connection to a data node gets: credentials, db, TLS, READONLY handling. */
function nodeOptions(target: RedisTarget): RedisOptions {
  return {
    username: target.username,
    password: target.password,
    ...(target.topology === 'cluster' ? {} : { db: target.db }),
    // Node's default trust store plus NODE_EXTRA_CA_CERTS; the server name is the host of the URL.
    ...(target.tls ? { tls: {} } : {}),
    reconnectOnError: reconnectOnReadonly,
  };
}

function singleOrSentinelOptions(target: RedisTarget, extra: RedisOptions): RedisOptions {
  const base = { ...nodeOptions(target), ...extra };
  if (target.topology === 'sentinel') {
    // Not ioredis' failoverDetector: its +switch-master can arrive while the client is
    // asking the Sentinels for the new master, and then the client ends for good
    // ("Connection is closed." forever; seen here in the fault suite, and in ioredis
    // issue #1683). A failover closes every client of the old master anyway (Sentinel
    // kills them when it demotes it), and READONLY reconnects any that survive.
    return { ...base, sentinels: target.nodes, name: target.masterName };
  }
  const [node] = target.nodes;
  return { ...base, host: node?.host, port: node?.port };
}

interface ClusterExtra extends RedisOptions {
  lazyConnect?: boolean;
  /** One connection attempt, no reconnection (doctor). */
  once?: boolean;
}

function clusterClient(target: RedisTarget, extra: ClusterExtra): Cluster {
  const { enableOfflineQueue = true, lazyConnect = false, once = false, ...redisOptions } = extra;
  const options: ClusterOptions = {
    redisOptions: { ...nodeOptions(target), ...redisOptions },
    enableOfflineQueue,
    lazyConnect,
    // A slot whose master just failed answers CLUSTERDOWN or nothing for a
    // moment; try again shortly rather than failing the command.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: once ? () => null : (times) => Math.min(100 * times, 2000),
    // Managed clusters announce IP addresses; with TLS the certificate names the
    // host of the URL, so connect by name as given (ioredis' advice for ElastiCache).
    ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
  };
  return new Cluster(
    target.nodes.map((n) => ({ host: n.host, port: n.port })),
    options,
  );
}

function checkedTarget(config: Pick<RedisSettings, 'redisUrl'> & Partial<Pick<RedisSettings, 'queuePrefix'>>): RedisTarget {
  const target = redisTarget(config.redisUrl);
  const problem = config.queuePrefix === undefined ? null : clusterPrefixProblem(target, config.queuePrefix);
  if (problem) throw new Error(problem);
  return target;
}

export interface BullConnection {
  connection: ConnectionOptions;
  /** Call after closing the Queue/Worker/QueueEvents that used it (closes a Cluster client BullMQ leaves open). */
  release(): void;
}

const ROLE_OPTIONS: Record<BullRole, RedisOptions> = {
  blocking: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 },
};

/** The `connection` for one BullMQ Queue, Worker or QueueEvents. */
export function bullConnection(config: RedisSettings, role: BullRole): BullConnection {
  const target = checkedTarget(config);
  if (target.topology !== 'cluster') {
    // ioredis' own options; BullMQ's type of them differs only in not allowing `retryStrategy: null`, which is not used.
    return { connection: singleOrSentinelOptions(target, ROLE_OPTIONS[role]) as BullRedisOptions, release: () => undefined };
  }
  // Lazy: a Worker only duplicates this instance, so it never connects itself.
  const cluster = clusterClient(target, { ...ROLE_OPTIONS[role], lazyConnect: true });
  cluster.on('error', () => undefined); // reported through the BullMQ object's own 'error' events
  return { connection: cluster, release: () => cluster.disconnect() };
}

/**
 * Closes a Queue or QueueEvents even while Redis is away: a fail-fast
 * connection cannot send QUIT then ("Stream isn't writeable…"), which is
 * no reason to fail a shutdown; the connection is dropped instead.
 */
export async function closeQuietly(closable: { close(): Promise<void>; disconnect(): Promise<void> }): Promise<void> {
  try {
    await closable.close();
  } catch {
    await closable.disconnect().catch(() => undefined);
  }
}

/**
 * The client a Queue writes with (WAIT must run on it): the Cluster
 * instance it shares, or the connection BullMQ made from options.
 */
export async function queueClient(queue: Queue, connection: BullConnection): Promise<RedisClient> {
  if (connection.connection instanceof Cluster) return connection.connection;
  // BullMQ hands out its ioredis client behind a proxy that forwards every command to it.
  return (await queue.getBackend().client) as unknown as RedisClient;
}

/**
 * A client for courier's own keys (receipts, alert state, the schedules'
 * set) and for health checks. `failFast` (health checks): no offline queue,
 * so a PING while Redis is away fails at once instead of waiting. `once`
 * (doctor): not connected until connect(), which tries once.
 */
export function createRedisClient(config: Pick<RedisSettings, 'redisUrl'>, options: { failFast?: boolean; once?: boolean } = {}): RedisClient {
  const target = redisTarget(config.redisUrl);
  const failFast = options.failFast === true || options.once === true;
  const extra: RedisOptions = { maxRetriesPerRequest: failFast ? 0 : 1, enableOfflineQueue: !failFast, connectTimeout: 5000 };
  // `once`: connect() tries once and rejects with the reason (doctor), instead of reconnecting forever.
  const client =
    target.topology === 'cluster'
      ? clusterClient(target, { ...extra, ...(options.once ? { once: true, lazyConnect: true } : {}) })
      : new Redis(singleOrSentinelOptions(target, { ...extra, ...(options.once ? { lazyConnect: true, retryStrategy: () => null, sentinelRetryStrategy: () => null } : {}) }));
  // Connection errors surface through the commands that fail; without a
  // listener ioredis would print each reconnection attempt to stderr.
  client.on('error', () => undefined);
  return client;
}

/**
 * connect() of a `once` client. ioredis rejects with "Connection is closed."
 * when its single attempt fails; the real cause (ECONNREFUSED, WRONGPASS, a
 * TLS verification code) came first as an 'error' event: that one is thrown.
 */
export async function connectOnce(client: RedisClient): Promise<void> {
  let first: unknown = null;
  const onError = (err: unknown): void => {
    first ??= err;
  };
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    throw first ?? err;
  } finally {
    client.off('error', onError);
  }
}

/**
 * One connection attempt and a PING within `timeoutMs` (commands that must
 * not hang while a client reconnects): null when Redis answers, else why not.
 */
export async function unreachableReason(config: Pick<RedisSettings, 'redisUrl'>, timeoutMs: number): Promise<string | null> {
  const client = createRedisClient(config, { once: true });
  try {
    await withTimeout(
      connectOnce(client).then(() => client.ping()),
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms (connect ETIMEDOUT)`),
    );
    return null;
  } catch (err) {
    return explainRedisError(err).reason;
  } finally {
    client.disconnect();
  }
}

/**
 * PING with a deadline: true only if Redis answers PONG in time. Waits for
 * the connection to be ready first (a fail-fast client refuses commands
 * until then); a connection error counts as "no".
 */
export async function redisPing(client: RedisClient, timeoutMs: number): Promise<boolean> {
  const signal = timeoutSignal(timeoutMs);
  try {
    if (client.status !== 'ready') await once(client, 'ready', { signal });
    return (await untilAborted(client.ping(), signal)) === 'PONG';
  } catch {
    return false;
  }
}

/** Where courier's keys live right now. */
export interface RedisWhereabouts {
  topology: RedisTopology;
  /** host:port of the master that holds courier's keys (for a Cluster: the owner of the prefix's slot), as this client reaches it. */
  master: string | null;
}

const slotCache = new WeakMap<Cluster, Map<string, number>>();

/** The Cluster slot of the prefix's keys (asked once per client and prefix). */
async function slotOf(cluster: Cluster, prefix: string): Promise<number> {
  let cache = slotCache.get(cluster);
  if (!cache) {
    cache = new Map<string, number>();
    slotCache.set(cluster, cache);
  }
  let slot = cache.get(prefix);
  if (slot === undefined) {
    slot = await cluster.cluster('KEYSLOT', `${prefix}:x`);
    cache.set(prefix, slot);
  }
  return slot;
}

/** The connection to the master that owns the prefix's slot, as the Cluster client knows it now. */
async function slotMaster(cluster: Cluster, prefix: string): Promise<Redis | null> {
  const slot = await slotOf(cluster, prefix);
  const key = cluster.slots[slot]?.[0];
  if (key === undefined) return null;
  return cluster.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === key) ?? null;
}

/** Which topology courier uses and which node is master now (for /readyz, doctor and logs). */
export async function whereIsRedis(client: RedisClient, config: RedisSettings): Promise<RedisWhereabouts> {
  const target = redisTarget(config.redisUrl);
  if (client instanceof Cluster) {
    // Asked of the Cluster (CLUSTER SLOTS), not the client's cache: that one only learns of a failover at its next MOVED.
    const slot = await slotOf(client, config.queuePrefix);
    const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const owner = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
    return { topology: 'cluster', master: owner ? formatAddress({ host: owner[0], port: owner[1] }) : null };
  }
  if (target.topology === 'sentinel') {
    // The address the Sentinels gave for the master, as this connection reached it.
    const { remoteAddress, remotePort } = client.stream ?? {};
    return { topology: 'sentinel', master: remoteAddress && remotePort ? formatAddress({ host: remoteAddress, port: remotePort }) : null };
  }
  const [node] = target.nodes;
  return { topology: 'single', master: node ? formatAddress(node) : null };
}

export interface ReplicaConfirmOptions {
  config: RedisSettings;
  log: Logger;
  /** How long to wait for a replica (WAIT's timeout). */
  timeoutMs?: number;
  /** After a WAIT no replica answered in time, skip waiting this long (the group runs without a replica). */
  skipAfterMissMs?: number;
  now?: () => number;
}

/** WAIT 1: default timeout, and how long a group with no replica is not asked again. */
export const REPLICA_WAIT_MS = 1000;
export const REPLICA_SKIP_AFTER_MISS_MS = 30_000;

/**
 * After a write that must survive a failover (a delivery receipt, an alert's
 * committed transition, a job added by courier's producer): resolves once
 * one replica has it (WAIT 1), so the replica a Sentinel or Cluster promotes
 * has it too. Replication is one ordered stream per master, and all of
 * courier's keys live on one master, so this covers every earlier write.
 *
 * On one node there is no replica to promote: nothing to wait for. When no
 * replica answers in time (none attached: a failover would then find no
 * replica to promote either), a warning says so and the next writes do not
 * wait for a while. Rejects when the connection fails: the caller writes
 * again (idempotently) and confirms again, on the new master.
 */
export function replicaConfirmer(client: RedisClient, options: ReplicaConfirmOptions): () => Promise<void> {
  const target = redisTarget(options.config.redisUrl);
  if (target.topology === 'single') return () => Promise.resolve();
  const timeoutMs = options.timeoutMs ?? REPLICA_WAIT_MS;
  const skipMs = options.skipAfterMissMs ?? REPLICA_SKIP_AFTER_MISS_MS;
  const now = options.now ?? Date.now;
  let skipUntil = 0;
  return async () => {
    if (now() < skipUntil) return;
    let node: Redis | null;
    if (client instanceof Cluster) {
      node = await slotMaster(client, options.config.queuePrefix);
      if (!node) throw new Error('the Cluster client does not know the master of courier\'s slot yet');
    } else {
      node = client;
    }
    const acknowledged = await node.wait(1, timeoutMs);
    if (acknowledged < 1) {
      skipUntil = now() + skipMs;
      options.log.warn(
        { topology: target.topology, waitedMs: timeoutMs, skipMs },
        'no replica acknowledged courier\'s last write: a failover now could lose it (receipts, alert state, added jobs); is a replica attached? Not waiting for replicas for a while',
      );
    }
  };
}

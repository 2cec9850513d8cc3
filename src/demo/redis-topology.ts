// Real Redis topologies on loopback, for the tests and the fault suite: a
// Cluster (masters and replicas, made with `redis-cli --cluster create`) and
// a Sentinel group (a master, a replica, three Sentinels), with the
// failovers operators live through: `CLUSTER FAILOVER` on a replica, and a
// master killed. Timeouts are short, so a failover takes seconds.
//
// Every process is a RedisServer of this process: dispose() stops them all,
// and redis-server.ts kills any still running when the process exits.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { RedisServer, freePort } from './redis-server.js';

const run = promisify(execFile);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs one command on a fresh direct connection to a process. */
async function ask<T>(server: RedisServer, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = server.client({ connectTimeout: 1000, retryStrategy: () => null });
  try {
    return await command(client);
  } finally {
    client.disconnect();
  }
}

async function startAll(servers: RedisServer[]): Promise<void> {
  const started = await Promise.allSettled(servers.map((s) => s.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.dispose()));
    throw failed.reason;
  }
}

/** A replica's first sync starts at once (the default waits 5 s for more replicas to share one transfer). */
const FAST_SYNC = ['--repl-diskless-sync-delay', '0'];

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
}

export interface ClusterGroupOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a node may be silent before it is suspected. */
  nodeTimeoutMs?: number;
  password?: string;
  /** Every node on TLS only (clients, replication and the cluster bus): rediss-cluster:// URLs. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

type Endpoint = [host: string, port: number, id: string];
type SlotRange = [start: number, end: number, master: Endpoint, ...replicas: Endpoint[]];

/** A Redis Cluster of its own on loopback. */
export class RedisClusterGroup {
  private constructor(
    readonly nodes: RedisServer[],
    readonly password: string | undefined,
    readonly tls: boolean,
  ) {}

  static async start(options: ClusterGroupOptions = {}): Promise<RedisClusterGroup> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const count = masters * (1 + replicas);
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      // A Cluster node also listens on port + 10000 (the cluster bus).
      if (port <= 55535 && !ports.includes(port)) ports.push(port);
    }
    const tlsArgs = options.tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : [];
    const args = [...FAST_SYNC, ...tlsArgs, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)];
    const nodes = ports.map((port) => new RedisServer(port, { persistent: true, password: options.password, args, tls: options.tls }));
    await startAll(nodes);
    const group = new RedisClusterGroup(nodes, options.password, options.tls !== undefined);
    try {
      const auth = options.password !== undefined ? ['-a', options.password, '--no-auth-warning'] : [];
      const tls = options.tls ? ['--tls', '--cacert', options.tls.caFile] : [];
      await run('redis-cli', [...auth, ...tls, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
      await until('every node to see the cluster ok, with every replica in sync', 30_000, async () => {
        const infos = await Promise.all(
          nodes.map((n) => ask(n, async (c) => ({ cluster: await c.cluster('INFO'), replication: await c.info('replication'), nodes: String(await c.cluster('NODES')) }))),
        );
        // Every node knows every other, and which are replicas.
        const replicaLines = (text: string): number => text.split('\n').filter((line) => line.split(' ')[2]?.includes('slave') === true).length;
        const clusterOk = infos.every(({ cluster, nodes: view }) => field(cluster, 'cluster_state') === 'ok' && field(cluster, 'cluster_known_nodes') === String(count) && replicaLines(view) === masters * replicas);
        const synced = infos.filter(({ replication }) => field(replication, 'role') === 'slave' && field(replication, 'master_link_status') === 'up').length;
        return clusterOk && synced === masters * replicas;
      });
    } catch (err) {
      await group.dispose();
      throw err;
    }
    return group;
  }

  /** redis-cluster://[:password@]seed,seed… (rediss-cluster:// with TLS) naming these nodes (all by default). */
  url(seeds: RedisServer[] = this.nodes): string {
    const auth = this.password !== undefined ? `:${encodeURIComponent(this.password)}@` : '';
    return `${this.tls ? 'rediss' : 'redis'}-cluster://${auth}${seeds.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  private byPort(port: number): RedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node of this cluster listens on ${port}`);
    return node;
  }

  /** The master that owns the key's slot now, and its replicas, as a live node sees it. */
  async shardOf(key: string): Promise<{ slot: number; master: RedisServer; replicas: RedisServer[] }> {
    const live = this.nodes.find((n) => n.running);
    if (!live) throw new Error('no node of the cluster runs');
    return ask(live, async (client) => {
      const slot = await client.cluster('KEYSLOT', key);
      const ranges = (await client.cluster('SLOTS')) as unknown as SlotRange[];
      const range = ranges.find(([start, end]) => slot >= start && slot <= end);
      if (!range) throw new Error(`slot ${slot} is not served`);
      const [, , [, masterPort, masterId]] = range;
      // Replicas from CLUSTER NODES: CLUSTER SLOTS lists a replica only once gossip told its offset, seconds later.
      // A line: <id> <ip:port@bus> <flags> <master id> …
      const lines = String(await client.cluster('NODES')).split('\n').map((line) => line.split(' '));
      const replicaPorts = lines.filter((f) => f[2]?.includes('slave') === true && f[3] === masterId).map((f) => Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]));
      return { slot, master: this.byPort(masterPort), replicas: replicaPorts.map((port) => this.byPort(port)) };
    });
  }

  /** Nodes that neither own the key's slot nor replicate its owner: seed nodes that must redirect. */
  async nodesAwayFrom(key: string): Promise<RedisServer[]> {
    const { master, replicas } = await this.shardOf(key);
    return this.nodes.filter((n) => n !== master && !replicas.includes(n));
  }

  /**
   * A manual failover of the key's shard (`CLUSTER FAILOVER` on its
   * replica, as an operator does before maintenance). Resolves once every
   * node routes the slot to the promoted replica.
   */
  async failover(key: string, timeoutMs = 30_000): Promise<{ from: RedisServer; to: RedisServer }> {
    const { slot, master, replicas } = await this.shardOf(key);
    const replica = replicas[0];
    if (!replica) throw new Error(`slot ${slot} has no replica to promote`);
    await ask(replica, (c) => c.cluster('FAILOVER'));
    await until(`node ${replica.port} to own slot ${slot} on every node`, timeoutMs, async () => {
      const views = await Promise.all(
        this.nodes.map((n) =>
          ask(n, async (c) => {
            const ranges = (await c.cluster('SLOTS')) as unknown as SlotRange[];
            return ranges.find(([start, end]) => slot >= start && slot <= end)?.[2][1];
          }),
        ),
      );
      return views.every((port) => port === replica.port);
    });
    return { from: master, to: replica };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}

export interface SentinelGroupOptions {
  masterName?: string;
  password?: string;
  /** How long the master may be silent before the Sentinels call it down. */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

/** A master, a replica and three Sentinels of its own on loopback. */
export class SentinelGroup {
  private constructor(
    readonly masterName: string,
    readonly password: string | undefined,
    /** The data nodes: the first one is the master at start. */
    readonly dataNodes: RedisServer[],
    readonly sentinels: RedisServer[],
  ) {}

  static async start(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
    const masterName = options.masterName ?? 'courier';
    const { password } = options;
    const master = new RedisServer(await freePort(), { persistent: true, password, args: FAST_SYNC });
    const replica = new RedisServer(await freePort(), { persistent: true, password, args: [...FAST_SYNC, '--replicaof', '127.0.0.1', String(master.port)] });
    const sentinelConfig = [
      `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 5000}`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(password !== undefined ? [`sentinel auth-pass ${masterName} ${password}`] : []),
    ].join('\n');
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++) sentinels.push(new RedisServer(await freePort(), { sentinelConfig }));
    const group = new SentinelGroup(masterName, password, [master, replica], sentinels);
    try {
      await startAll([master, replica]);
      await until('the replica to be in sync', 30_000, async () => field(await ask(replica, (c) => c.info('replication')), 'master_link_status') === 'up');
      await startAll(sentinels);
      await until('every Sentinel to know the replica and the other Sentinels', 30_000, async () => {
        const views = await Promise.all(
          sentinels.map((s) =>
            ask(s, async (c) => {
              const replicas = (await c.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
              const others = (await c.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
              return replicas.length === 1 && others.length === 2;
            }),
          ),
        );
        return views.every(Boolean);
      });
    } catch (err) {
      await group.dispose();
      throw err;
    }
    return group;
  }

  /** redis-sentinel://[:password@]s1,s2,s3#masterName */
  get url(): string {
    const auth = this.password !== undefined ? `:${encodeURIComponent(this.password)}@` : '';
    return `redis-sentinel://${auth}${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}#${this.masterName}`;
  }

  /** The data node the Sentinels name as master now (asked of the first Sentinel that answers). */
  async master(): Promise<RedisServer> {
    for (const sentinel of this.sentinels.filter((s) => s.running)) {
      try {
        const [, port] = (await ask(sentinel, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName))) as [string, string];
        const node = this.dataNodes.find((n) => n.port === Number(port));
        if (node) return node;
      } catch {
        // the next Sentinel
      }
    }
    throw new Error('no Sentinel names a master');
  }

  /** The master each running Sentinel names now (null for one that does not answer). */
  async views(): Promise<(RedisServer | null)[]> {
    return Promise.all(
      this.sentinels
        .filter((s) => s.running)
        .map((sentinel) =>
          ask(sentinel, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName))
            .then((reply) => this.dataNodes.find((n) => n.port === Number((reply as [string, string])[1])) ?? null)
            .catch(() => null),
        ),
    );
  }

  /**
   * Waits until the Sentinels have promoted another node than `old`: every
   * Sentinel names it (the news spreads between them in a second or two)
   * and it says it is master (ROLE).
   */
  async promotionFrom(old: RedisServer, timeoutMs = 60_000): Promise<RedisServer> {
    return until(`the Sentinels to promote a new master in place of ${old.port}`, timeoutMs, async () => {
      const views = await this.views();
      const now = views[0];
      if (!now || now === old || views.some((v) => v !== now)) return null;
      const [role] = (await ask(now, (c) => c.call('ROLE'))) as [string];
      return role === 'master' ? now : null;
    });
  }

  /** Waits until `node` replicates the current master (a restarted old master, turned into a replica by the Sentinels). */
  async rejoined(node: RedisServer, timeoutMs = 60_000): Promise<void> {
    await until(`node ${node.port} to replicate the new master`, timeoutMs, async () => {
      const info = await ask(node, (c) => c.info('replication'));
      return field(info, 'role') === 'slave' && field(info, 'master_link_status') === 'up';
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.dataNodes].map((n) => n.dispose()));
  }
}

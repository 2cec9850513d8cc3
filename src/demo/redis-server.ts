// A private redis-server for `courier demo` and the tests, when no Redis
// answers at REDIS_URL. By default it keeps nothing on disk; with
// `persistent`, it runs as an operator would run it for a queue (an
// append-only file, fsynced on every write), so it can be restarted, or
// killed, without losing an acknowledged write. The topologies of
// redis-topology.ts (Cluster, Sentinel) and the TLS test build on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { createRedisClient } from '../redis/connection.js';

/** Test-only direct connection to one process (never for courier's own connections: see src/queue/connection.ts). */
export async function redisAnswers(url: string, timeoutMs = 1500, options: RedisOptions = {}): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null, ...options });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  /** Keep the data across stop() and start(): `--appendonly yes --appendfsync always` in the server's own directory. */
  persistent?: boolean;
  /** More redis-server arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
  /** requirepass (and masterauth, for replicas and Cluster nodes). */
  password?: string;
  /** Run as a Sentinel with this configuration (written to the server's own directory, which Sentinel rewrites). */
  sentinelConfig?: string;
  /** Listen with TLS only (rediss://localhost:port): the server's certificate and key, and the CA that signed them. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /**
   * Its own process group, out of reach of the terminal's Ctrl-C: `courier
   * demo --serve` stops it last, after the worker has drained against it.
   */
  ownProcessGroup?: boolean;
}

/** A redis-server process owned by the test, which it can stop and start again on the same port. */
/**
 * Every redis-server this process started and that still runs: killed when
 * the process exits, even after a failure that skipped a test's cleanup.
 */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE) child.kill('SIGKILL');
});

export class RedisServer {
  private child: ChildProcess | null = null;
  private sentinelWritten = false;
  private readonly dir = mkdtempSync(join(tmpdir(), 'courier-redis-'));
  constructor(
    readonly port: number,
    readonly options: RedisServerOptions = {},
  ) {}

  get url(): string {
    return this.options.tls ? `rediss://localhost:${this.port}` : `redis://127.0.0.1:${this.port}`;
  }

  /** A direct client of this one process (tests: CLUSTER, SENTINEL, ROLE…). */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis(this.port, '127.0.0.1', { password: this.options.sentinelConfig ? undefined : this.options.password, maxRetriesPerRequest: 1, ...this.tlsOptions(), ...options });
    client.on('error', () => undefined);
    return client;
  }

  private tlsOptions(): RedisOptions {
    const tls = this.options.tls;
    return tls ? { tls: { ca: readFileSync(tls.caFile), servername: 'localhost' } } : {};
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Where the server runs (its data and configuration files). */
  get directory(): string {
    return this.dir;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.start();
    return server;
  }

  private arguments(): string[] {
    const { options } = this;
    if (options.sentinelConfig !== undefined) {
      // Sentinel rewrites its configuration file, so it lives in the server's own directory; written once, kept across restarts.
      const file = join(this.dir, 'sentinel.conf');
      if (!this.sentinelWritten) writeFileSync(file, `port ${this.port}\nbind 127.0.0.1\ndir ${this.dir}\n${options.sentinelConfig}\n`);
      this.sentinelWritten = true;
      return [file, '--sentinel'];
    }
    const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const auth = options.password !== undefined ? ['--requirepass', options.password, '--masterauth', options.password] : [];
    const listen = options.tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    // With TLS the URL names localhost, which may resolve to ::1 first: listen there too when the host has it.
    const bind = options.tls ? ['--bind', '127.0.0.1', '-::1'] : ['--bind', '127.0.0.1'];
    return [...listen, ...bind, '--save', '', ...persistence, '--dir', this.dir, ...auth, ...(options.args ?? [])];
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', this.arguments(), { stdio: 'ignore', detached: this.options.ownProcessGroup ?? false });
    this.child = child;
    LIVE.add(child);
    child.once('exit', () => LIVE.delete(child));
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start redis-server (is it installed?): ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server on port ${this.port} exited at start (status ${code ?? 'signal'}): see its arguments in redis-server.ts`)));
    });
    spawnError.catch(() => undefined); // raced below; once up, a later exit is no start failure
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await Promise.race([redisAnswers(this.url, 500, { password: this.options.sentinelConfig ? undefined : this.options.password, ...this.tlsOptions() }), spawnError]);
      if (up) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9 (a crash), and wait until the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Deletes every key under `<prefix>:` (the demo's own namespace; a test's). */
export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  // courier's own connection (one node here: a Cluster's or Sentinel group's keys go with its processes).
  const client = createRedisClient({ redisUrl: url });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

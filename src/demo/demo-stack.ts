// The local stack behind `courier demo` and `courier demo --serve`: Redis
// (started when none answers), the Toucan-like frontend and backend, an SMTP
// server and a Bot Connector stand-in that write what they receive to the
// output folder, and a real `courier worker` process in front of them.
// `environment` is what that worker runs with, so a shell given the same
// settings reaches the same stack (run-demo.ts tours it, serve-demo.ts
// hands it to the operator).
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BotConnectorStandIn, extraCaCertsWithLoopbackCa } from './bot-connector.js';
import { RedisServer, deleteKeysUnder, redisAnswers } from './redis-server.js';
import { SmtpSink } from './smtp-sink.js';
import { ToucanStack } from './toucan-stack.js';
import { startWorkerProcess, type LogLine, type WorkerProcess } from './worker-process.js';

/** The demo's key prefix in Redis; cleared at start, so every run tells the same story. */
export const DEMO_PREFIX = 'courier-demo';
/** The demo team, its General channel (same id, as in Teams) and its Sales channel, which the examples post to. */
export const DEMO_TEAM = '19:demo-team@thread.tacv2';
export const DEMO_CHANNEL = { id: '19:demo-sales@thread.tacv2', name: 'Sales' };
/** The sender of the demo's emails: a bare address, so the environment needs no quoting. */
export const DEMO_MAIL_FROM = 'toucan@demo.example.com';

export interface DemoStackOptions {
  /** Where the received emails, Teams cards and artifacts are written (emptied first). */
  outDir: string;
  /** The Redis to use when it answers (REDIS_URL, default 127.0.0.1:6379). */
  redisUrl: string;
  /** The worker's HTTP port (health, metrics, signed links). */
  httpPort: number;
  /** The backend's token (default: a random one). */
  token?: string;
  print: (line: string) => void;
  /** Each of the worker's log lines (the demo prints its errors). */
  onWorkerLine?: (line: LogLine) => void;
}

/** A running demo stack. */
export interface DemoStack {
  readonly out: string;
  readonly redisUrl: string;
  /** Whether the demo started its own redis-server. */
  readonly ownRedis: boolean;
  readonly stack: ToucanStack;
  readonly smtp: SmtpSink;
  readonly teams: BotConnectorStandIn;
  readonly worker: WorkerProcess;
  /** The worker's environment: every setting a shell needs to reach this stack (NODE_EXTRA_CA_CERTS included). */
  readonly environment: Record<string, string>;
  /** Stops the worker with SIGTERM (a clean drain), then everything else; throws if the worker did not exit 0. */
  stop(): Promise<void>;
}

/** Everything started so far, stopped in reverse whatever happens. */
class Started {
  redis: RedisServer | null = null;
  stack: ToucanStack | null = null;
  smtp: SmtpSink | null = null;
  teams: BotConnectorStandIn | null = null;
  worker: WorkerProcess | null = null;

  async stop(): Promise<void> {
    try {
      const status = await this.worker?.stop(60_000);
      if (status !== undefined && status !== 0) throw new Error(`the worker exited with status ${status} after SIGTERM`);
    } finally {
      await this.teams?.close();
      await this.smtp?.stop();
      await this.stack?.close();
      await this.redis?.dispose();
    }
  }
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const { print } = options;
  const out = resolve(options.outDir);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const started = new Started();
  try {
    let redisUrl = options.redisUrl;
    if (await redisAnswers(redisUrl)) {
      print(`redis        using ${redisUrl}`);
    } else {
      started.redis = await RedisServer.start({ ownProcessGroup: true });
      redisUrl = started.redis.url;
      print(`redis        none answered at ${options.redisUrl}; started redis-server at ${redisUrl}`);
    }
    // The demo's own namespace starts empty (the alert starts "never evaluated").
    await deleteKeysUnder(redisUrl, DEMO_PREFIX);

    const stack = (started.stack = await ToucanStack.start({ token: options.token ?? randomBytes(18).toString('base64url') }));
    const smtpAuth = { user: 'courier', pass: randomBytes(9).toString('base64url') };
    const smtp = (started.smtp = await SmtpSink.start({ auth: smtpAuth, dir: join(out, 'mail') }));
    const bot = { appId: 'courier-demo-bot', password: randomBytes(12).toString('base64url') };
    const teams = (started.teams = await BotConnectorStandIn.start({
      apps: [{ ...bot, multiTenant: true }],
      teams: { [DEMO_TEAM]: [{ id: DEMO_TEAM, name: null }, DEMO_CHANNEL] },
      dir: join(out, 'teams'),
    }));
    print(`toucan       frontend ${stack.frontendUrl}, backend ${stack.backendUrl}`);
    print(`smtp         ${smtp.url(null)} (AUTH required), writes to ${shownPath(join(out, 'mail'))}/`);
    print(`teams        Bot Connector stand-in ${teams.url}, team ${DEMO_TEAM} (channel ${DEMO_CHANNEL.id}, ${DEMO_CHANNEL.name}), writes to ${shownPath(join(out, 'teams'))}/`);

    const environment: Record<string, string> = {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: DEMO_PREFIX,
      FRONTEND_URL: stack.frontendUrl,
      BACKEND_URL: stack.backendUrl,
      SMTP_URL: smtp.url(),
      MAIL_FROM: DEMO_MAIL_FROM,
      MICROSOFT_APP_ID: bot.appId,
      MICROSOFT_APP_PASSWORD: bot.password,
      MICROSOFT_LOGIN_URL: teams.loginUrl,
      TEAMS_SERVICE_URLS: teams.serviceUrlPrefix,
      // Microsoft's global endpoint has the path /teams/; the stand-in answers under any path.
      TEAMS_DEFAULT_SERVICE_URL: teams.serviceUrl('teams'),
      // Node reads it at start only: the worker, and any courier command given this environment, trust the stand-in's https.
      NODE_EXTRA_CA_CERTS: await extraCaCertsWithLoopbackCa(process.env.NODE_EXTRA_CA_CERTS),
      PUBLIC_URL: `http://127.0.0.1:${options.httpPort}/`,
      ARTIFACT_LINK_SECRET: randomBytes(32).toString('hex'),
      ARTIFACTS_DIR: join(out, 'artifacts'),
      // The console at /admin/: serve-demo.ts prints its address; these log in.
      ADMIN_TOKEN: randomBytes(32).toString('hex'),
      ADMIN_WRITE_TOKEN: randomBytes(32).toString('hex'),
    };
    started.worker = await startWorkerProcess(
      { ...environment, HTTP_PORT: String(options.httpPort), CONCURRENCY: '2', LOG_LEVEL: 'info' },
      // Only what the demo sets: an operator's own SMTP_URL or RECIPIENT_DOMAINS must not leak in.
      { inheritEnv: false, ownProcessGroup: true, ...(options.onWorkerLine ? { onLine: options.onWorkerLine } : {}) },
    );
    const worker = started.worker;
    // Out of the terminal's process group: if this process ends without stop(), the worker must not stay behind.
    const orphanGuard = (): void => {
      if (worker.running) worker.child.kill('SIGKILL');
    };
    process.once('exit', orphanGuard);
    print(`worker       courier worker (pid ${worker.pid}), metrics on http://127.0.0.1:${options.httpPort}/metrics`);
    return {
      out,
      redisUrl,
      ownRedis: started.redis !== null,
      stack,
      smtp,
      teams,
      worker,
      environment,
      async stop() {
        try {
          await started.stop();
        } finally {
          process.off('exit', orphanGuard);
        }
      },
    };
  } catch (err) {
    await started.stop().catch(() => undefined);
    throw err;
  }
}

/** A path as people type it: relative to the current directory when inside it, else absolute (never `../../tmp/x`). */
export function shownPath(path: string, cwd = process.cwd()): string {
  const absolute = resolve(path);
  const base = resolve(cwd);
  if (absolute === base) return '.';
  return absolute.startsWith(`${base}/`) ? absolute.slice(base.length + 1) : absolute;
}

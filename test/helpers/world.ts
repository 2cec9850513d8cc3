// The one set-up of the integration tests. `startWorld` starts everything an
// end-to-end test needs and stops it in one place: the Toucan-like stack, an
// SMTP server, optionally the Bot Connector stand-in, an artifacts
// directory, the worker's environment and config, a worker runtime in this
// process, and a producer, all on a queue prefix of the test's own.
//
// It is built from the pieces in scope.ts (a Redis prefix of the test's
// own, a temp directory), which tests that need only those take from there
// (without loading the browser and the worker).
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import type { QueueName } from '../../src/contracts/index.js';
import { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';
import { createLogger } from '../../src/log.js';
import type { RedisClient } from '../../src/redis/connection.js';
import { createProducer, type Producer } from '../../src/queue/producer.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/queue/runtime.js';
import { freePort } from '../setup/redis.js';
import { redisScope, tempDir } from './scope.js';

export interface WorldOptions {
  /** Names the queue prefix, the bot and the temp directory. */
  name: string;
  /** Start the Bot Connector stand-in and configure Teams. */
  teams?: boolean;
  /** Start the worker runtime in this process (default true); without it, tests start worker processes with `env`. */
  runtime?: boolean;
  /** Queues the runtime consumes (default all) and its concurrency (default CONCURRENCY, 2). */
  queues?: QueueName[];
  concurrency?: number;
  /** The clock the runtime's jobs start by (default Date.now): a test moves it forward instead of waiting. */
  now?: () => number;
  /** Extra or overriding environment for the worker. */
  env?: Env;
  /** Keep the worker's log lines (info and up) in `logLines`, to assert on what it tells operators. */
  captureLogs?: boolean;
}

export interface World {
  prefix: string;
  stack: ToucanStack;
  smtp: SmtpSink;
  teams: BotConnectorStandIn | null;
  artifactsDir: string;
  /** The worker's environment (for a worker process, or loadConfig). */
  env: Env;
  config: Config;
  runtime: WorkerRuntime | null;
  producer: Producer;
  /** The HTTP port of the worker (PUBLIC_URL points at it). */
  httpPort: number;
  /** The worker's log lines, parsed (with captureLogs). */
  logLines: Record<string, unknown>[];
  /** A connection to the world's Redis, closed with the world. */
  connect(): RedisClient;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const redis = redisScope(options.name);
  const { prefix } = redis;
  const stack = await ToucanStack.start();
  const smtp = await SmtpSink.start();
  const bot = { appId: `${options.name}-bot`, password: `${options.name}-bot-secret` };
  const teams = options.teams ? await BotConnectorStandIn.start({ apps: [{ ...bot, multiTenant: true }] }) : null;
  const artifacts = tempDir(options.name);
  const httpPort = await freePort();
  const env: Env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    FRONTEND_URL: stack.frontendUrl,
    BACKEND_URL: stack.backendUrl,
    ARTIFACTS_DIR: artifacts.path,
    HTTP_PORT: String(httpPort),
    PUBLIC_URL: `http://127.0.0.1:${httpPort}/`,
    ARTIFACT_LINK_SECRET: randomBytes(32).toString('hex'),
    SMTP_URL: smtp.url(),
    MAIL_FROM: 'Toucan <toucan@corp.example.com>',
    CONCURRENCY: '2',
    ...(teams
      ? {
          MICROSOFT_APP_ID: bot.appId,
          MICROSOFT_APP_PASSWORD: bot.password,
          MICROSOFT_LOGIN_URL: teams.loginUrl,
          TEAMS_SERVICE_URLS: teams.serviceUrlPrefix,
        }
      : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const logLines: Record<string, unknown>[] = [];
  const log = options.captureLogs
    ? createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) })
    : createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const runtime =
    options.runtime === false
      ? null
      : await startWorkerRuntime({ config, log, httpHost: '127.0.0.1', queues: options.queues, concurrency: options.concurrency, now: options.now });
  const producer = createProducer({ config });
  return {
    prefix,
    stack,
    smtp,
    teams,
    artifactsDir: artifacts.path,
    env,
    config,
    runtime,
    producer,
    httpPort,
    logLines,
    connect: () => redis.connect(),
    async close() {
      await producer.close();
      await runtime?.close();
      await smtp.stop();
      await teams?.close();
      await stack.close();
      await redis.close();
      artifacts.remove();
    },
  };
}

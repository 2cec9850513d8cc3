// Everything an end-to-end test needs, started and stopped in one place: the
// Toucan-like stack, an SMTP server, optionally the Bot Connector stand-in,
// an artifacts directory, the worker's environment and config, a worker
// runtime in this process, and a producer, all on a queue prefix of the
// test's own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';
import { createLogger } from '../../src/log.js';
import { createProducer, type Producer } from '../../src/queue/producer.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/queue/runtime.js';
import { flushPrefix, freePort, testPrefix, testRedisUrl } from '../setup/redis.js';

export interface WorldOptions {
  /** Names the queue prefix, the bot and the temp directory. */
  name: string;
  /** Start the Bot Connector stand-in and configure Teams. */
  teams?: boolean;
  /** Start the worker runtime in this process (default true). */
  runtime?: boolean;
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
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const prefix = testPrefix(options.name);
  const stack = await ToucanStack.start();
  const smtp = await SmtpSink.start();
  const bot = { appId: `${options.name}-bot`, password: `${options.name}-bot-secret` };
  const teams = options.teams ? await BotConnectorStandIn.start({ apps: [{ ...bot, multiTenant: true }] }) : null;
  const artifactsDir = mkdtempSync(join(tmpdir(), `courier-${options.name}-`));
  const httpPort = await freePort();
  const env: Env = {
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    FRONTEND_URL: stack.frontendUrl,
    BACKEND_URL: stack.backendUrl,
    ARTIFACTS_DIR: artifactsDir,
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
  const runtime = options.runtime === false ? null : await startWorkerRuntime({ config, log, httpHost: '127.0.0.1' });
  const producer = createProducer({ config });
  return {
    prefix,
    stack,
    smtp,
    teams,
    artifactsDir,
    env,
    config,
    runtime,
    producer,
    httpPort,
    logLines,
    async close() {
      await producer.close();
      await runtime?.close();
      await smtp.stop();
      await teams?.close();
      await stack.close();
      await flushPrefix(testRedisUrl(), prefix);
      rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}

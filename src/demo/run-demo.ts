// `courier demo`: the whole pipeline on this machine with nothing
// configured. It starts Redis (if none answers), the Toucan-like stack, an
// SMTP server and a Bot Connector stand-in that write what they receive to
// demo-out/, then a real `courier worker` process, and sends through it:
// a shared story, an annotated one, a PDF report, and an alert that
// triggers and resolves. It prints where each output landed.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfig, type Env } from '../config.js';
import type { Target } from '../contracts/common.js';
import type { JobResult } from '../contracts/result.js';
import { createProducer, type JobInputByQueue, type Producer } from '../queue/producer.js';
import type { QueueName } from '../contracts/queues.js';
import { BotConnectorStandIn, extraCaCertsWithLoopbackCa } from './bot-connector.js';
import { RedisServer, deleteKeysUnder, freePort, redisAnswers } from './redis-server.js';
import { SmtpSink } from './smtp-sink.js';
import { ToucanStack } from './toucan-stack.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

export interface DemoOptions {
  /** Where the received emails, Teams cards and artifacts are written. */
  outDir: string;
  /** The Redis to use when it answers (REDIS_URL, default 127.0.0.1:6379). */
  redisUrl: string;
  print: (line: string) => void;
}

const DEMO_PREFIX = 'courier-demo';
const TEAM_ID = '19:demo-team@thread.tacv2';
const CHANNEL = { id: '19:demo-sales@thread.tacv2', name: 'Sales' };
const RECIPIENT = 'sales-team@demo.example.com';
const ON_CALL = 'data-on-call@demo.example.com';

/** Everything the demo started, so it can stop all of it whatever happens. */
class DemoStack {
  redis: RedisServer | null = null;
  stack: ToucanStack | null = null;
  smtp: SmtpSink | null = null;
  teams: BotConnectorStandIn | null = null;
  worker: WorkerProcess | null = null;
  producer: Producer | null = null;

  async stop(): Promise<void> {
    await this.producer?.close().catch(() => undefined);
    const status = await this.worker?.stop(60_000);
    if (status !== undefined && status !== 0) throw new Error(`the worker exited with status ${status} after SIGTERM`);
    await this.teams?.close();
    await this.smtp?.stop();
    await this.stack?.close();
    await this.redis?.dispose();
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { print } = options;
  const out = resolve(options.outDir);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const started = new DemoStack();
  try {
    let redisUrl = options.redisUrl;
    if (await redisAnswers(redisUrl)) {
      print(`redis        using ${redisUrl}`);
    } else {
      started.redis = await RedisServer.start();
      redisUrl = started.redis.url;
      print(`redis        none answered at ${options.redisUrl}; started redis-server at ${redisUrl}`);
    }

    // The demo's own namespace starts empty, so every run tells the same story (the alert starts "never evaluated").
    await deleteKeysUnder(redisUrl, DEMO_PREFIX);

    const stack = (started.stack = await ToucanStack.start());
    const smtpAuth = { user: 'courier', pass: randomBytes(9).toString('base64url') };
    const smtp = (started.smtp = await SmtpSink.start({ auth: smtpAuth, dir: join(out, 'mail') }));
    const bot = { appId: 'courier-demo-bot', password: randomBytes(12).toString('base64url') };
    const teams = (started.teams = await BotConnectorStandIn.start({
      apps: [{ ...bot, multiTenant: true }],
      teams: { [TEAM_ID]: [{ id: TEAM_ID, name: null }, CHANNEL] },
      dir: join(out, 'teams'),
    }));
    print(`toucan       frontend ${stack.frontendUrl}, backend ${stack.backendUrl}`);
    print(`smtp         ${smtp.url(null)} (AUTH required), writes to ${relative(process.cwd(), join(out, 'mail'))}/`);
    print(`teams        Bot Connector stand-in ${teams.url}, writes to ${relative(process.cwd(), join(out, 'teams'))}/`);

    const httpPort = await freePort();
    const env: Env = {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: DEMO_PREFIX,
      FRONTEND_URL: stack.frontendUrl,
      BACKEND_URL: stack.backendUrl,
      ARTIFACTS_DIR: join(out, 'artifacts'),
      HTTP_PORT: String(httpPort),
      PUBLIC_URL: `http://127.0.0.1:${httpPort}/`,
      ARTIFACT_LINK_SECRET: randomBytes(32).toString('hex'),
      SMTP_URL: smtp.url(),
      MAIL_FROM: 'Toucan <toucan@demo.example.com>',
      MICROSOFT_APP_ID: bot.appId,
      MICROSOFT_APP_PASSWORD: bot.password,
      MICROSOFT_LOGIN_URL: teams.loginUrl,
      TEAMS_SERVICE_URLS: teams.serviceUrlPrefix,
      CONCURRENCY: '2',
      LOG_LEVEL: 'info',
    };
    started.worker = await startWorkerProcess(
      { ...env, NODE_EXTRA_CA_CERTS: await extraCaCertsWithLoopbackCa(process.env.NODE_EXTRA_CA_CERTS) },
      {
        // Only what the demo sets: an operator's own SMTP_URL or RECIPIENT_DOMAINS must not leak in.
        inheritEnv: false,
        onLine: (line) => {
          if (line.level === 'error' || line.level === 'fatal') print(`worker ${line.level}: ${line.msg ?? ''}${line.reason ? ` (${line.reason})` : ''}`);
        },
      },
    );
    print(`worker       courier worker (pid ${started.worker.pid}), metrics on http://127.0.0.1:${httpPort}/metrics`);
    const producer = (started.producer = createProducer({ config: loadConfig(env) }));

    const email: Target = { type: 'email', to: [RECIPIENT], cc: [], bcc: [] };
    const channel: Target = { type: 'teams', serviceUrl: teams.serviceUrl('emea'), channelId: CHANNEL.id };
    const token = { token: stack.token };
    const run = async <Q extends QueueName>(what: string, queue: Q, job: JobInputByQueue[Q]): Promise<JobResult> => {
      const t0 = Date.now();
      const { id, result } = await producer.enqueueAndWait(queue, job, { timeoutMs: 180_000 });
      print(`${what.padEnd(12)} job ${queue}/${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${describeDeliveries(result)}`);
      return result;
    };

    print('');
    await run('share', 'screenshot', {
      url: '/demo?slide=sales&export=true',
      title: 'Sales by region',
      smallApp: 'Sales Pulse',
      auth: token,
      sharedBy: 'Camille Martin',
      comment: { author: 'Camille', text: 'East is well ahead this quarter. Worth a look before Monday?' },
      deliver: [email, { ...channel, message: 'For the Monday review' }],
    });
    await run('annotate', 'screenshot', {
      url: '/demo?slide=revenue&export=true',
      title: 'Monthly revenue',
      smallApp: 'Sales Pulse',
      auth: token,
      viewport: { width: 1280, height: 618, deviceScaleFactor: 2 },
      sharedBy: 'Camille Martin',
      comment: { author: 'Camille', text: 'August is our best month <3' },
      annotations: [
        { type: 'ellipse', x: 852, y: 88, width: 120, height: 370, color: '#e5484d', strokeWidth: 4 },
        { type: 'arrow', from: [700, 46], to: [846, 120], color: '#e5484d', strokeWidth: 3 },
        { type: 'text', at: [500, 28], text: 'Best month: August', color: '#e5484d', strokeWidth: 3 },
      ],
      deliver: [email, channel],
    });
    await run('report', 'pdf-report', {
      title: 'Weekly sales review',
      smallApp: 'Sales Pulse',
      timezone: 'Europe/Paris',
      auth: token,
      pages: [
        { url: '/demo?slide=sales&export=true', title: 'Sales by region' },
        { url: '/demo?slide=revenue&export=true', title: 'Monthly revenue' },
        { url: '/demo?slide=churn&export=true', title: 'Churn by plan' },
      ],
      deliver: [email, channel],
    });

    const alert = (value: number) => {
      stack.setKpi('revenue', { value });
      return {
        alertId: 'demo-revenue',
        name: 'Daily revenue above 100 k€',
        smallApp: 'Sales Pulse',
        auth: token,
        data: { url: '/kpi/revenue', valuePath: 'items.0.value' },
        condition: { operator: '>' as const, threshold: 100 },
        story: { url: '/demo?slide=revenue&export=true' },
        deliver: [channel],
        onError: [{ type: 'email' as const, to: [ON_CALL], cc: [], bcc: [] }],
      };
    };
    for (const [what, value] of [['alert 80', 80], ['alert 140', 140], ['alert 95', 95]] as const) {
      const result = await run(what, 'alert', alert(value));
      print(`${''.padEnd(12)} state ${result.state}, value ${result.value}, ${result.notified ? 'people were told' : 'nothing sent'}`);
    }
    // Readers read French first: the same share, every word in French (docs/languages.md).
    await run('share (fr)', 'screenshot', {
      url: '/demo?slide=sales&export=true',
      title: 'Ventes par région',
      smallApp: 'Sales Pulse',
      auth: token,
      lang: 'fr-FR',
      timezone: 'Europe/Paris',
      sharedBy: 'Camille Martin',
      comment: { author: 'Camille', text: 'L’Est creuse l’écart ce trimestre. On en parle lundi ?' },
      deliver: [email, { ...channel, message: 'Pour la revue de lundi' }],
    });

    print('');
    print('Outputs:');
    for (const file of await listFiles(out)) print(`  ${relative(process.cwd(), file)}`);
    print('');
    print('Open the .eml files in a mail client, the *.card.json files in https://adaptivecards.io/designer, and the PNG and PDF files as they are.');
  } finally {
    await started.stop();
  }
}

function describeDeliveries(result: JobResult): string {
  if (result.deliveries.length === 0) return 'nothing delivered';
  return result.deliveries.map((d) => (d.type === 'email' ? `email to ${d.to.join(', ')} ${d.status}` : `Teams post in ${d.channelId} ${d.status}`)).join('; ');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

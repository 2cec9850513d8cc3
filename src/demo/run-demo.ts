// `courier demo`: the whole pipeline on this machine with nothing
// configured. It starts the local stack (demo-stack.ts: Redis if none
// answers, the Toucan-like stack, an SMTP server and a Bot Connector
// stand-in that write what they receive to demo-out/, a real `courier
// worker` process) and sends through it: a shared story, an annotated one,
// a PDF report, and an alert that triggers and resolves. It prints where
// each output landed. `--serve` (serve-demo.ts) keeps the stack running.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import type { Target } from '../contracts/common.js';
import type { JobResult } from '../contracts/result.js';
import { createProducer, type JobInputByQueue } from '../queue/producer.js';
import type { QueueName } from '../contracts/queues.js';
import { DEMO_CHANNEL, shownPath, startDemoStack } from './demo-stack.js';
import { freePort } from './redis-server.js';

export interface DemoOptions {
  /** Where the received emails, Teams cards and artifacts are written. */
  outDir: string;
  /** The Redis to use when it answers (REDIS_URL, default 127.0.0.1:6379). */
  redisUrl: string;
  print: (line: string) => void;
}

const RECIPIENT = 'sales-team@demo.example.com';
const ON_CALL = 'data-on-call@demo.example.com';

export async function runDemo(options: DemoOptions): Promise<void> {
  const { print } = options;
  const demo = await startDemoStack({
    outDir: options.outDir,
    redisUrl: options.redisUrl,
    httpPort: await freePort(),
    print,
    onWorkerLine: (line) => {
      if (line.level === 'error' || line.level === 'fatal') print(`worker ${line.level}: ${line.msg ?? ''}${line.reason ? ` (${line.reason})` : ''}`);
    },
  });
  const producer = createProducer({ config: loadConfig(demo.environment) });
  try {
    const { stack, out } = demo;
    const email: Target = { type: 'email', to: [RECIPIENT], cc: [], bcc: [] };
    // No serviceUrl: the worker's TEAMS_DEFAULT_SERVICE_URL, the stand-in's.
    const channel: Target = { type: 'teams', channelId: DEMO_CHANNEL.id };
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
        // Around August's value and the top of its bar, the text in the free space left of it (CSS pixels of the 1000 × 520 story).
        { type: 'ellipse', x: 842, y: 86, width: 140, height: 64, color: '#e5484d', strokeWidth: 4 },
        { type: 'arrow', from: [760, 112], to: [836, 116], color: '#1d2433', strokeWidth: 2 },
        { type: 'text', at: [566, 100], text: 'Best month: August', color: '#e5484d', strokeWidth: 3 },
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
    for (const file of await listFiles(out)) print(`  ${shownPath(file)}`);
    print('');
    print('Open the .eml files in a mail client, the *.card.json files in https://adaptivecards.io/designer, and the PNG and PDF files as they are.');
  } finally {
    await producer.close().catch(() => undefined);
    await demo.stop();
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

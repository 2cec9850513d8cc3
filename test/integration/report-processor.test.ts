// Scheduled PDF reports end to end: jobs through Redis and the worker, pages
// rendered by Chromium from the fixture stack, the PDF assembled, delivered
// to a real SMTP server and the Bot Connector stand-in, then read back with
// poppler and qpdf.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config.js';
import type { PdfReportJobInput } from '../../src/contracts/pdf-report.js';
import type { BotConnectorStandIn} from '../../src/demo/bot-connector.js';
import { findDataUri } from '../../src/demo/bot-connector.js';
import type { SmtpSink } from '../../src/demo/smtp-sink.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { createLogger } from '../../src/log.js';
import { createProducer, JobFailedError, type Producer } from '../../src/queue/producer.js';
import { startWorkerRuntime } from '../../src/queue/runtime.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { pdfInfo, pdfOutlines, pdfPagePng, pdfText } from '../helpers/pdf.js';
import { startWorld, type World } from '../helpers/world.js';
import { flushPrefix, testRedisUrl } from '../setup/redis.js';

let world: World;
let prefix: string;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const SLIDES = [
  ['sales', 'Sales by region'],
  ['revenue', 'Monthly revenue'],
  ['churn', 'Churn by plan'],
] as const;

let stack: ToucanStack;
let smtp: SmtpSink;
let teams: BotConnectorStandIn;
let artifactsDir: string;
let config: Config;
let producer: Producer;

const teamsTarget = () => ({ type: 'teams' as const, serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:reports@thread.tacv2' });

function report(overrides: Partial<PdfReportJobInput> = {}): PdfReportJobInput {
  return {
    title: 'Weekly sales review',
    smallApp: 'Sales Pulse',
    timezone: 'Europe/Paris',
    auth: { token: stack.token },
    pages: SLIDES.map(([slide, title]) => ({ url: `/demo?slide=${slide}&export=true`, title })),
    ...overrides,
  };
}

beforeAll(async () => {
  world = await startWorld({ name: 'report', teams: true });
  ({ stack, smtp, artifactsDir, config, producer, prefix } = world);
  teams = world.teams!;
});

afterAll(() => world?.close());

describe('a pdf-report job', () => {
  it('makes one well-formed PDF (cover, stories, numbers, metadata, bookmarks) and mails it with a thumbnail', async () => {
    const { result } = await producer.enqueueAndWait('pdf-report', report({ deliver: [{ type: 'email', to: ['board@corp.example.com'] }] }), { timeoutMs: 120_000 });

    const [pdf, thumbnail] = result.artifacts;
    expect(pdf).toMatchObject({ mime: 'application/pdf', pages: 4, width: 842, height: 595 });
    expect(thumbnail).toMatchObject({ mime: 'image/png', width: 2000, height: 1040 });
    expect(Object.keys(result.timings)).toEqual(expect.arrayContaining(['queuedMs', 'renderMs', 'openMs', 'readyMs', 'captureMs', 'assembleMs', 'deliverMs']));

    const file = join(artifactsDir, pdf!.path);
    const info = pdfInfo(file);
    expect(info.Pages).toBe('4');
    expect(info.Title).toBe('Weekly sales review');
    expect(info.Author).toBeTruthy();
    expect(info.Subject).toContain('Sales Pulse');
    expect(info.Producer).toContain('courier');
    expect(info.CreationDate).toBeTruthy();

    const cover = pdfText(file, 1);
    expect(cover).toContain('Weekly sales review');
    expect(cover).toContain('Sales Pulse');
    for (const [, title] of SLIDES) expect(cover).toContain(title);
    for (let page = 2; page <= 4; page++) {
      expect(pdfText(file, page)).toContain(`${page} / 4`);
      expect(pdfText(file, page)).toContain(SLIDES[page - 2]![1]);
      // Rasterised, each story page shows its chart, not the loader.
      const { chart, loader } = showsChartNotLoader(pdfPagePng(file, page, 50));
      expect(chart).toBeGreaterThan(0.03);
      expect(loader).toBeLessThan(0.001);
    }
    const bookmarks = pdfOutlines(file);
    expect(bookmarks.map((b) => b.title)).toEqual(expect.arrayContaining(SLIDES.map(([, title]) => title)));
    for (const [i, [, title]] of SLIDES.entries()) expect(bookmarks.find((b) => b.title === title)?.page).toBe(i + 2);

    const [message] = smtp.messagesFor('board@corp.example.com');
    const mail = await simpleParser(message!.raw);
    expect(mail.subject).toContain('Weekly sales review');
    const attachment = mail.attachments.find((a) => a.contentType === 'application/pdf');
    expect(attachment?.content.equals(readFileSync(file))).toBe(true);
    const inline = mail.attachments.find((a) => a.contentType === 'image/png');
    expect(inline?.contentId).toBeTruthy();
    expect(showsChartNotLoader(decodePng(inline!.content)).chart).toBeGreaterThan(0.05);
  });

  it('posts a Teams card with a thumbnail and an "Open report" signed link that serves the PDF', async () => {
    const before = teams.posts.length;
    const { result } = await producer.enqueueAndWait('pdf-report', report({ deliver: [teamsTarget()] }), { timeoutMs: 120_000 });
    expect(result.deliveries).toEqual([expect.objectContaining({ type: 'teams', status: 'sent' })]);
    const posted = teams.posts.slice(before);
    expect(posted).toHaveLength(1);
    const card = JSON.stringify(posted[0]!.card);
    expect(findDataUri(posted[0]!.card)).not.toBeNull();
    const link = /"url":"(http:\/\/127\.0\.0\.1:\d+\/artifacts\/pdf-report\/[^"]+)"/.exec(card)?.[1];
    expect(card).toContain('Open report');
    expect(link).toBeDefined();
    const served = await fetch(link!.replace(/\\u0026/g, '&'));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await served.arrayBuffer()).equals(readFileSync(join(artifactsDir, result.artifacts[0]!.path)))).toBe(true);
  });

  it('fails closed: one never-ready page fails the job with that page named, and nothing is sent', async () => {
    const mailsBefore = smtp.messages.length;
    const postsBefore = teams.posts.length;
    const job = report({
      timeoutMs: 2000,
      pages: [
        { url: '/demo?slide=sales', title: 'Sales by region' },
        { url: '/demo?slide=churn&variant=never', title: 'Churn (broken)' },
      ],
      deliver: [{ type: 'email', to: ['board@corp.example.com'] }, teamsTarget()],
    });
    const outcome = await producer.enqueueAndWait('pdf-report', job, { timeoutMs: 120_000, attempts: 1 }).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(JobFailedError);
    const reason = (outcome as JobFailedError).message;
    expect(reason).toMatch(/^SELECTOR_TIMEOUT: page 2 of 2 \("Churn \(broken\)"\): waiting for selector/);
    expect(smtp.messages.length).toBe(mailsBefore);
    expect(teams.posts.length).toBe(postsBefore);
  });

  it('refuses a Teams target when no signed link can be made, before rendering anything', async () => {
    const requestsBefore = stack.frontendRequests.length;
    const runtimeNoLinks = await startWorkerRuntime({
      config: { ...config, publicUrl: null, artifactLinkSecret: null, httpPort: 0, queuePrefix: `${prefix}-nolinks` },
      log,
      queues: ['pdf-report'],
    });
    const producerNoLinks = createProducer({ config: { ...config, queuePrefix: `${prefix}-nolinks` } });
    try {
      const outcome = await producerNoLinks.enqueueAndWait('pdf-report', report({ deliver: [teamsTarget()] }), { timeoutMs: 60_000 }).catch((err: unknown) => err);
      expect((outcome as JobFailedError).message).toMatch(/^INVALID_JOB: a report reaches Teams only as a signed link/);
      expect(stack.frontendRequests.length).toBe(requestsBefore);
    } finally {
      await producerNoLinks.close();
      await runtimeNoLinks.close();
      await flushPrefix(testRedisUrl(), `${prefix}-nolinks`);
    }
  });

  it('completes a 20-page report within the job timeout', async () => {
    const pages = Array.from({ length: 20 }, (_, i) => {
      const [slide, title] = SLIDES[i % SLIDES.length]!;
      return { url: `/demo?slide=${slide}&delay=100`, title: `${title} (${i + 1})` };
    });
    const { result } = await producer.enqueueAndWait('pdf-report', report({ pages }), { timeoutMs: config.jobTimeoutMs });
    const file = join(artifactsDir, result.artifacts[0]!.path);
    expect(pdfInfo(file).Pages).toBe('21');
    expect(pdfText(file, 21)).toContain('21 / 21');
    expect(result.timings.renderMs).toBeLessThan(config.jobTimeoutMs);
  });
});


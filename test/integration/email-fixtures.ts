// Shared by the email and delivery tests: a real capture of the fixture
// story by the production renderer (src/browser/render.ts: a PNG and a PDF
// of the story element from one ready page in Chromium, against the demo
// Toucan stack), the message inputs built from it, and mailparser for what
// the SMTP sink received.
import { simpleParser, type ParsedMail } from 'mailparser';
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { ReceivedMessage } from '../../src/demo/smtp-sink.js';
import type { MessageInput } from '../../src/delivery/messages.js';
import { createLogger, type Logger } from '../../src/log.js';
import { resolveStoryUrl } from '../../src/urls.js';
import { ToucanStack, stackConfig, testLogger } from '../fixtures/index.js';

export interface StoryCapture {
  png: Buffer;
  pdf: Buffer;
  width: number;
  height: number;
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(data: Buffer): { width: number; height: number } {
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

export async function captureStory(slide = 'sales', deviceScaleFactor = 1): Promise<StoryCapture> {
  const stack = await ToucanStack.start();
  const config = stackConfig(stack);
  const log = testLogger();
  const pool = new BrowserPool({ config, log });
  try {
    const result = await createRenderer({ config, pool, log }).render({
      url: resolveStoryUrl(`/demo?slide=${slide}`, config.frontendUrl),
      selector: config.selector,
      timeoutMs: 30_000,
      viewport: { width: 1280, height: 618, deviceScaleFactor },
      formats: ['png', 'pdf'],
      token: stack.token,
    });
    const [png, pdf] = result.captures;
    if (!png || !pdf) throw new Error('the renderer returned fewer captures than asked');
    return { png: png.data, pdf: pdf.data, width: png.width, height: png.height };
  } finally {
    await pool.close();
    await stack.close();
  }
}

/** A share of the captured story, as the screenshot processor would describe it. */
export function shareInput(capture: StoryCapture, overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    kind: 'share',
    title: 'Sales by region',
    smallApp: 'Sales cockpit',
    link: 'https://toucan.example.com/sales-cockpit?slide=sales',
    sharedBy: 'Ada Lovelace',
    comment: { author: 'Ada Lovelace', text: 'East is ahead again.\n<script>alert(1)</script> & "quotes"' },
    image: { data: capture.png, mime: 'image/png', width: capture.width, height: capture.height, artifactPath: 'screenshot/2026-11-20/42.png' },
    at: new Date('2026-11-20T09:30:00Z'),
    timezone: 'Europe/Paris',
    ...overrides,
  };
}

/** A report carrying the captured PDF. */
export function reportInput(capture: StoryCapture, overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    kind: 'report',
    title: 'Weekly sales',
    smallApp: 'Sales cockpit',
    link: 'https://toucan.example.com/sales-cockpit',
    document: { data: capture.pdf, mime: 'application/pdf', filename: 'weekly-sales.pdf', pages: 1, artifactPath: 'pdf-report/2026-11-20/43.pdf' },
    pageTitles: ['Sales by region'],
    at: new Date('2026-11-20T08:00:00Z'),
    timezone: 'Europe/Paris',
    ...overrides,
  };
}

export function parse(message: ReceivedMessage): Promise<ParsedMail> {
  // skipImageLinks keeps "cid:" references as sent (mailparser would inline them as data: URLs).
  return simpleParser(message.raw, { skipImageLinks: true });
}

export function testConfig(env: Record<string, string>): Config {
  return loadConfig({ MAIL_FROM: 'Toucan reports <reports@corp.example>', ...env });
}

export function quietLogger(): Logger {
  return createLogger('silent');
}

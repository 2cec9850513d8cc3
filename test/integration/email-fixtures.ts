// Shared by the email and delivery tests: a real capture of the fixture
// story (PNG of the chart element and a PDF of the page, from one ready page
// in Chromium against the demo Toucan stack), the message input built from
// it, and mailparser for what the SMTP sink received.
//
// Stop-gap until the shared renderer (src/browser/render.ts) is committed:
// then captureStory() should call createRenderer instead of driving puppeteer.
import { simpleParser, type ParsedMail } from 'mailparser';
import puppeteer from 'puppeteer-core';
import { loadConfig, type Config } from '../../src/config.js';
import { ToucanStack } from '../../src/demo/toucan-stack.js';
import type { ReceivedMessage } from '../../src/demo/smtp-sink.js';
import type { MessageInput } from '../../src/delivery/messages.js';
import { createLogger, type Logger } from '../../src/log.js';

export interface StoryCapture {
  png: Buffer;
  pdf: Buffer;
  width: number;
  height: number;
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(data: Buffer): { width: number; height: number } {
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

export async function captureStory(slide = 'sales', deviceScaleFactor = 1): Promise<StoryCapture> {
  const stack = await ToucanStack.start();
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 618, deviceScaleFactor });
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      // The bearer token goes to the backend only, as in production.
      const headers = request.url().startsWith(stack.backendUrl) ? { ...request.headers(), authorization: `Bearer ${stack.token}` } : request.headers();
      void request.continue({ headers });
    });
    await page.goto(`${stack.frontendUrl}/demo?slide=${slide}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.tc-slide__content[aria-busy="false"]', { timeout: 30_000 });
    const element = await page.$('.tc-slide__content');
    if (!element) throw new Error('story element vanished');
    const png = Buffer.from(await element.screenshot({ type: 'png' }));
    const pdf = Buffer.from(await page.pdf({ format: 'A4', landscape: true, printBackground: true }));
    return { png, pdf, ...pngSize(png) };
  } finally {
    await browser.close();
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

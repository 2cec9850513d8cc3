// Shared by the Teams tests: bots registered with the stand-in, their
// config, targets, chart images and cards to look into.
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { loadConfig, type Config } from '../../src/config.js';
import type { TeamsTarget } from '../../src/contracts/common.js';
import type { BotApp, BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { composeMessage, type ImagePart, type Message } from '../../src/delivery/messages.js';

export const TENANT = '72f988bf-0000-4000-8000-2d7cd011db47';
export const CHANNEL = '19:3f0c1b2a9d4e4f6b8c7d@thread.tacv2';

/** Each test uses its own app: botframework-connector caches tokens per app id for the whole process. */
export function newApp(options: Partial<BotApp> = {}): BotApp {
  return { appId: randomUUID(), password: `pw-${randomUUID()}`, tenantId: TENANT, multiTenant: true, ...options };
}

/** Registers a new bot with the stand-in, as a tenant admin would. */
export function register(standIn: BotConnectorStandIn, options: Partial<BotApp> = {}): BotApp {
  const app = newApp(options);
  standIn.addApp(app);
  return app;
}

export function configFor(standIn: BotConnectorStandIn, app: BotApp, env: Record<string, string> = {}): Config {
  return loadConfig({
    MICROSOFT_APP_ID: app.appId,
    MICROSOFT_APP_PASSWORD: app.password,
    MICROSOFT_LOGIN_URL: standIn.loginUrl,
    TEAMS_SERVICE_URLS: standIn.serviceUrlPrefix,
    ...env,
  });
}

export function targetOf(standIn: BotConnectorStandIn, overrides: Partial<TeamsTarget> = {}): TeamsTarget {
  return { type: 'teams', serviceUrl: standIn.serviceUrl(), channelId: CHANNEL, tenantId: TENANT, ...overrides };
}

/** A bar chart as a story would look, rendered from SVG; `grain` adds noise that makes the PNG large (as antialiased text and gradients do). */
export async function chartPng(width: number, height: number, grain = 0, artifactPath = 'screenshot/2026-11-20/42.png'): Promise<ImagePart> {
  const bars = Array.from({ length: 12 }, (_, i) => {
    const h = 40 + ((i * 53) % Math.max(1, height - 120));
    return `<rect x="${40 + i * ((width - 80) / 12)}" y="${height - 40 - h}" width="${(width - 80) / 12 - 8}" height="${h}" fill="#2f6fde"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${bars}<text x="40" y="30" font-size="20" font-family="sans-serif">Sales by region</text></svg>`;
  let image = sharp(Buffer.from(svg));
  if (grain > 0) {
    const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: grain } } }).png().toBuffer();
    image = image.composite([{ input: noise, blend: 'overlay' }]);
  }
  const data = await image.png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath };
}

export function shareMessage(image: ImagePart | undefined, comment = 'Q3 looks good'): Message {
  return composeMessage(
    {
      kind: 'share',
      title: 'Sales by region',
      smallApp: 'Demo [app](http://evil.example/app)',
      link: 'https://toucan.example.com/demo?slide=sales',
      sharedBy: 'Alice',
      comment: { author: 'Alice', text: comment },
      image,
      at: new Date('2026-11-20T10:00:00Z'),
      timezone: 'Europe/Paris',
    },
    { message: 'Numbers for Monday' },
  );
}

/** Every element of a type anywhere in a card. */
export function findElement(card: unknown, type: string): Record<string, unknown>[] {
  if (Array.isArray(card)) return card.flatMap((c) => findElement(c, type));
  if (card === null || typeof card !== 'object') return [];
  const object = card as Record<string, unknown>;
  const own = object.type === type ? [object] : [];
  return [...own, ...Object.values(object).flatMap((v) => findElement(v, type))];
}

/** The decoded image of a card's data: URI, with its size as an image reader sees it. */
export async function cardImage(card: unknown): Promise<{ mime: string; bytes: number; width: number; height: number } | null> {
  const url = findElement(card, 'Image')[0]?.url;
  const m = typeof url === 'string' ? /^data:([^;]+);base64,(.*)$/.exec(url) : null;
  if (!m) return null;
  const data = Buffer.from(m[2]!, 'base64');
  const meta = await sharp(data).metadata();
  return { mime: m[1]!, bytes: data.length, width: meta.width ?? 0, height: meta.height ?? 0 };
}

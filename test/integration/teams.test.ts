// Teams delivery end to end on loopback: the real botbuilder / MSAL code
// path against the identity + Bot Connector stand-in (https with the loopback
// test CA, which test/setup/global.ts hands to the workers as
// NODE_EXTRA_CA_CERTS).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { TeamsTarget } from '../../src/contracts/common.js';
import { BotConnectorStandIn, LOOPBACK_CA_PATH, MULTI_TENANT_AUTHORITY, type BotApp } from '../../src/demo/bot-connector.js';
import { composeMessage, type ImagePart, type Message } from '../../src/delivery/messages.js';
import { checkTeams, createTeamsSender, type TeamsLimits } from '../../src/delivery/teams.js';
import { CourierError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { checkArtifactSignature } from '../../src/server/signing.js';

const TENANT = '72f988bf-0000-4000-8000-2d7cd011db47';
const CHANNEL = '19:3f0c1b2a9d4e4f6b8c7d@thread.tacv2';
const log = createLogger('silent');

let standIn: BotConnectorStandIn;
/** Each test uses its own app: botframework-connector caches tokens per app id for the whole process. */
function newApp(options: Partial<BotApp> = {}): BotApp {
  return { appId: randomUUID(), password: `pw-${randomUUID()}`, tenantId: TENANT, multiTenant: true, ...options };
}

function configFor(app: BotApp, env: Record<string, string> = {}): Config {
  return loadConfig({
    MICROSOFT_APP_ID: app.appId,
    MICROSOFT_APP_PASSWORD: app.password,
    MICROSOFT_LOGIN_URL: standIn.loginUrl,
    TEAMS_SERVICE_URLS: standIn.serviceUrlPrefix,
    ...env,
  });
}

function target(overrides: Partial<TeamsTarget> = {}): TeamsTarget {
  return { type: 'teams', serviceUrl: standIn.serviceUrl(), channelId: CHANNEL, tenantId: TENANT, ...overrides };
}

/** A bar chart as a story would look, rendered from SVG; `grain` adds noise that makes the PNG large (as antialiased text and gradients do). */
async function chartPng(width: number, height: number, grain = 0): Promise<ImagePart> {
  const bars = Array.from({ length: 12 }, (_, i) => {
    const h = 40 + ((i * 53) % (height - 120));
    return `<rect x="${40 + i * ((width - 80) / 12)}" y="${height - 40 - h}" width="${(width - 80) / 12 - 8}" height="${h}" fill="#2f6fde"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${bars}<text x="40" y="30" font-size="20" font-family="sans-serif">Sales by region</text></svg>`;
  let image = sharp(Buffer.from(svg));
  if (grain > 0) {
    const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: grain } } }).png().toBuffer();
    image = image.composite([{ input: noise, blend: 'overlay' }]);
  }
  const data = await image.png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath: 'screenshot/2026-11-20/42.png' };
}

function shareMessage(image: ImagePart | undefined, comment = 'Q3 looks good'): Message {
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

/** Every string in a JSON tree, with the element type that holds it. */
function strings(node: unknown, holder = ''): { holder: string; key: string; value: string }[] {
  if (Array.isArray(node)) return node.flatMap((item) => strings(item, holder));
  if (node === null || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  const type = typeof object.type === 'string' ? object.type : holder;
  return Object.entries(object).flatMap(([key, value]) => (typeof value === 'string' ? [{ holder: type, key, value }] : strings(value, type)));
}

function findElement(card: unknown, type: string): Record<string, unknown>[] {
  if (Array.isArray(card)) return card.flatMap((c) => findElement(c, type));
  if (card === null || typeof card !== 'object') return [];
  const object = card as Record<string, unknown>;
  const own = object.type === type ? [object] : [];
  return [...own, ...Object.values(object).flatMap((v) => findElement(v, type))];
}

async function rejection(promise: Promise<unknown>): Promise<CourierError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CourierError);
    return err as CourierError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  standIn = await BotConnectorStandIn.start({
    apps: [],
    teams: {
      '19:team-general@thread.tacv2': [
        { id: '19:team-general@thread.tacv2', name: null },
        { id: '19:alerts0001@thread.tacv2', name: 'Alerts' },
        { id: '19:finance01@thread.tacv2', name: 'Finance · Q3' },
      ],
    },
  });
});

afterAll(async () => {
  await standIn?.close();
});

/** Each test registers its own bot, as a tenant admin would. */
function register(app: BotApp): BotApp {
  standIn.addApp(app);
  return app;
}

describe('Teams delivery through the Bot Framework SDK', () => {
  it('gets NODE_EXTRA_CA_CERTS in the forked test worker', () => {
    const bundle = readFileSync(process.env.NODE_EXTRA_CA_CERTS ?? '', 'utf8');
    expect(bundle).toContain(readFileSync(LOOPBACK_CA_PATH, 'utf8').trim());
  });

  it('posts a new thread whose card has the image and inert text', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    const image = await chartPng(240, 120);
    const comment = '<script>alert("x")</script> see [click](http://evil.example) **now** ${title}';
    const message = shareMessage(image, comment);

    const report = await sender.postWithReport(target(), message);

    expect(standIn.posts).toHaveLength(1);
    const post = standIn.posts.at(-1)!;
    expect(report.id).toBe(post.activityId);
    expect(report.image?.path).toBe('inline');
    expect(post.params.isGroup).toBe(true);
    expect(post.params.channelData?.channel?.id).toBe(CHANNEL);
    expect(post.params.channelData?.tenant?.id).toBe(TENANT);
    expect(post.appId).toBe(app.appId);
    expect(post.activity.attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');

    // The image: a data: URI that decodes to exactly the PNG we sent.
    const [img] = findElement(post.card, 'Image');
    expect(img?.url).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(String(img?.url).split(',')[1]!, 'base64').equals(image.data)).toBe(true);

    // The comment arrives verbatim, as a TextRun (plain text by the Adaptive Card schema), never in a TextBlock (Markdown).
    const all = strings(post.card);
    const commentRun = all.find((s) => s.value === comment);
    expect(commentRun?.holder).toBe('TextRun');
    expect(all.filter((s) => s.holder === 'TextBlock' && /evil|script/.test(s.value))).toEqual([]);
    // The small app's name (Markdown link syntax included) is plain text in the header.
    expect(all.find((s) => s.value.startsWith('Demo [app](http://evil.example/app) · '))?.holder).toBe('TextRun');
    // Title, who shared, the note and the action.
    expect(all.some((s) => s.holder === 'TextRun' && s.value === 'Sales by region')).toBe(true);
    expect(all.some((s) => s.holder === 'TextRun' && s.value === 'Alice shared “Sales by region” with you.')).toBe(true);
    expect(all.some((s) => s.holder === 'TextRun' && s.value === 'Numbers for Monday')).toBe(true);
    expect(findElement(post.card, 'Action.OpenUrl')[0]).toMatchObject({ title: 'Open in Toucan', url: 'https://toucan.example.com/demo?slide=sales' });
    expect(JSON.stringify(post.card)).not.toMatch(/\$\{(?!title\})/); // nothing left unexpanded (the comment's own "${title}" stays text)
  });

  it('fails with DELIVERY_FAILED naming an authentication failure on a wrong password, without the password', async () => {
    const app = register(newApp());
    const wrong = { ...app, password: 'not-the-password-123' };
    const sender = createTeamsSender({ config: configFor(wrong), log });
    const before = standIn.posts.length;

    const err = await rejection(sender.post(target(), shareMessage(undefined)));

    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.message).toMatch(/authentication failed/i);
    expect(err.message).toMatch(/MICROSOFT_APP_PASSWORD/);
    expect(err.message).not.toContain('not-the-password-123');
    expect(err.message).not.toContain(app.password);
    expect(standIn.tokenRequests.filter((r) => r.clientId === app.appId).map((r) => r.status)).toEqual([401]);
    expect(standIn.posts.length).toBe(before);
  });

  it('refuses an unlisted service URL with FORBIDDEN_URL before any token is requested', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    const tokensBefore = standIn.tokenRequests.length;
    const requestsBefore = standIn.connectorRequests.length;

    const err = await rejection(sender.post(target({ serviceUrl: 'https://smba.evil.example/emea/' }), shareMessage(undefined)));
    const listErr = await rejection(sender.listChannels('19:team-general@thread.tacv2', 'https://smba.evil.example/emea/'));

    expect(err.code).toBe('FORBIDDEN_URL');
    expect(err.message).toContain('TEAMS_SERVICE_URLS');
    expect(listErr.code).toBe('FORBIDDEN_URL');
    expect(standIn.tokenRequests.length).toBe(tokensBefore);
    expect(standIn.connectorRequests.length).toBe(requestsBefore);
  });

  it('waits out a 429 with Retry-After and posts exactly once', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    const before = standIn.posts.length;
    standIn.failNext(429, { retryAfterSeconds: 1 });

    const { id } = await sender.post(target(), shareMessage(undefined));

    const mine = standIn.connectorRequests.filter((r) => r.method === 'POST').slice(-2);
    expect(mine.map((r) => r.status)).toEqual([429, 201]);
    expect(standIn.posts.length).toBe(before + 1);
    expect(standIn.posts.at(-1)?.activityId).toBe(id);
  });

  it('gives up on throttling beyond its bounds, saying so', async () => {
    const app = register(newApp());
    const limits: Partial<TeamsLimits> = { maxAttempts: 3, maxRetryWaitMs: 5_000 };
    const sender = createTeamsSender({ config: configFor(app), log, limits });
    const before = standIn.posts.length;

    // Retry-After longer than we wait inside a job: fail now, the job retry takes over.
    standIn.failNext(429, { retryAfterSeconds: 3600 });
    const long = await rejection(sender.post(target(), shareMessage(undefined)));
    expect(long.code).toBe('DELIVERY_FAILED');
    expect(long.message).toMatch(/throttling/);
    expect(long.message).toMatch(/3600 s/);

    // 503 every time: a bounded number of attempts.
    const requestsBefore = standIn.connectorRequests.length;
    standIn.failNext(503, { retryAfterSeconds: 0, times: 10 });
    const many = await rejection(sender.post(target(), shareMessage(undefined)));
    expect(many.message).toMatch(/throttling or unavailable \(HTTP 503/);
    expect(standIn.connectorRequests.length - requestsBefore).toBe(3);
    standIn.clearFailures();
    expect(standIn.posts.length).toBe(before);
  });

  it('steps down to a signed link, then to a downscaled JPEG, when Teams answers 413', async () => {
    const app = register(newApp());
    const image = await chartPng(1280, 618, 8);
    // A large budget makes the inline image the first choice; the stand-in then refuses that size, as a stricter Teams would.
    const limits = { messageBudgetBytes: 2_000_000 };
    const linkSecret = randomBytes(32).toString('hex');
    const withLink = configFor(app, { PUBLIC_URL: 'https://courier.example.com', ARTIFACT_LINK_SECRET: linkSecret });
    const first = await createTeamsSender({ config: withLink, log, limits }).postWithReport(target(), shareMessage(image));
    expect(first.image?.path).toBe('inline');
    const before = standIn.posts.length;
    standIn.maxPostBytes = first.bytes - 1;
    try {
      const linked = await createTeamsSender({ config: withLink, log, limits }).postWithReport(target(), shareMessage(image));
      expect(linked.refused).toEqual(['inline']);
      expect(linked.image?.path).toBe('link');
      const url = new URL(String(findElement(standIn.posts.at(-1)!.card, 'Image')[0]?.url));
      expect(url.origin + url.pathname).toBe('https://courier.example.com/artifacts/screenshot/2026-11-20/42.png');
      const check = checkArtifactSignature(linkSecret, 'screenshot/2026-11-20/42.png', url.searchParams.get('expires'), url.searchParams.get('signature'), Date.now() / 1000);
      expect(check).toBe('valid');

      // Without PUBLIC_URL there is no link: the next step is a JPEG of at most half the refused size.
      const downscaled = await createTeamsSender({ config: configFor(app), log, limits }).postWithReport(target(), shareMessage(image));
      expect(downscaled.refused).toEqual(['inline']);
      expect(downscaled.image?.path).toBe('downscaled');
      expect(downscaled.bytes).toBeLessThan(first.bytes / 2 + 5_000);
      const jpeg = findElement(standIn.posts.at(-1)!.card, 'Image')[0]?.url as string;
      expect(jpeg).toMatch(/^data:image\/jpeg;base64,/);
      const meta = await sharp(Buffer.from(jpeg.split(',')[1]!, 'base64')).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBeLessThanOrEqual(1024);
      expect(standIn.posts.length).toBe(before + 2);
      expect(standIn.connectorRequests.filter((r) => r.status === 413)).toHaveLength(2);
    } finally {
      standIn.maxPostBytes = null;
    }
  });

  it('sends a large image as a downscaled JPEG within the 28 KB budget', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    const image = await chartPng(1280, 618, 8);
    expect(image.data.length).toBeGreaterThan(100_000);

    const report = await sender.postWithReport(target(), shareMessage(image));

    expect(report.image?.path).toBe('downscaled');
    expect(report.bytes).toBeLessThanOrEqual(28 * 1024);
    expect(standIn.posts.at(-1)?.bytes).toBe(report.bytes);
  });

  it('caches the token across posts, and replaces a token the connector refuses', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    const tokens = (): number => standIn.tokenRequests.filter((r) => r.clientId === app.appId && r.status === 200).length;

    await sender.post(target(), shareMessage(undefined));
    await sender.post(target(), shareMessage(undefined));
    expect(tokens()).toBe(1);
    expect(standIn.metadataRequests.length).toBeGreaterThan(0);

    standIn.revokeTokens();
    await sender.post(target(), shareMessage(undefined));
    expect(tokens()).toBe(2);
  });

  it('works for a multi-tenant bot (token from botframework.com) and a single-tenant bot (token from its tenant)', async () => {
    const multi = register(newApp({ multiTenant: true }));
    const single = register(newApp({ multiTenant: false, tenantId: 'contoso-tenant-0001' }));

    await createTeamsSender({ config: configFor(multi), log }).post(target(), shareMessage(undefined));
    await createTeamsSender({ config: configFor(single, { MICROSOFT_APP_TENANT_ID: 'contoso-tenant-0001' }), log }).post(target({ tenantId: undefined }), shareMessage(undefined));

    expect(standIn.tokenRequests.filter((r) => r.clientId === multi.appId).map((r) => [r.tenant, r.scope, r.status])).toEqual([
      [MULTI_TENANT_AUTHORITY, 'https://api.botframework.com/.default', 200],
    ]);
    expect(standIn.tokenRequests.filter((r) => r.clientId === single.appId).map((r) => [r.tenant, r.status])).toEqual([['contoso-tenant-0001', 200]]);
    // The single-tenant target had no tenantId: the channel's tenant is MICROSOFT_APP_TENANT_ID.
    expect(standIn.posts.at(-1)?.params.channelData?.tenant?.id).toBe('contoso-tenant-0001');
    expect(standIn.posts.at(-1)?.appId).toBe(single.appId);

    // A single-tenant app configured as multi-tenant is not found in the botframework.com directory.
    const misconfigured = register(newApp({ multiTenant: false, tenantId: 'contoso-tenant-0001' }));
    const wrongType = await rejection(createTeamsSender({ config: configFor(misconfigured), log }).post(target(), shareMessage(undefined)));
    expect(wrongType.message).toMatch(/authentication failed.*does not know this app id.*MICROSOFT_APP_TYPE/s);
  });

  it('names an authentication failure when the connector answers 403', async () => {
    const app = register(newApp());
    const sender = createTeamsSender({ config: configFor(app), log });
    standIn.failNext(403);
    const err = await rejection(sender.post(target(), shareMessage(undefined)));
    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.message).toMatch(/authentication failed.*HTTP 403/);
    expect(err.message).not.toMatch(/Bearer\s+stand-in/);
  });

  it('writes each posted card and its decoded image to a directory (the demo\'s demo-out/)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'courier-teams-'));
    const app = newApp();
    const writer = await BotConnectorStandIn.start({ apps: [app], dir });
    try {
      const config = loadConfig({ MICROSOFT_APP_ID: app.appId, MICROSOFT_APP_PASSWORD: app.password, MICROSOFT_LOGIN_URL: writer.loginUrl, TEAMS_SERVICE_URLS: writer.serviceUrlPrefix });
      const image = await chartPng(240, 120);
      await createTeamsSender({ config, log }).post(target({ serviceUrl: writer.serviceUrl() }), shareMessage(image));
      expect(readdirSync(dir).sort()).toEqual(['teams-001.card.json', 'teams-001.image.png']);
      expect(readFileSync(join(dir, 'teams-001.image.png')).equals(image.data)).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'teams-001.card.json'), 'utf8'))).toMatchObject({ type: 'AdaptiveCard' });
    } finally {
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the token for doctor', async () => {
    const app = register(newApp());
    expect(await checkTeams(configFor(app))).toEqual({ ok: true, detail: expect.stringContaining(`${standIn.loginUrl}/botframework.com`) as string });
    const bad = await checkTeams(configFor({ ...app, password: 'wrong-password-456' }));
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/authentication failed/);
    expect(bad.detail).not.toContain('wrong-password-456');
  });
});

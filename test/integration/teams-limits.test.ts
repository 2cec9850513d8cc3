// Teams as it really is, against the stand-in that enforces Teams' own
// limits: image sizes within 1024 × 1024 and the 256 KB request, the
// fallbacks in order (inline, smaller, link, none), the retries Microsoft
// documents (429 with the time in the body, 412, 502, 503, 504) within one
// delivery, and a 403 for a team the bot is not in.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TeamsTarget } from '../../src/contracts/common.js';
import { BotConnectorStandIn, type BotApp } from '../../src/demo/bot-connector.js';
import type { ImagePart } from '../../src/delivery/messages.js';
import { createTeamsSender, type TeamsDeps } from '../../src/delivery/teams.js';
import { checkPostBody } from '../../src/demo/teams-rules.js';
import { CourierError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { checkArtifactSignature } from '../../src/artifacts/signing.js';
import { rejection } from '../helpers/rejection.js';
import { cardImage, chartPng, configFor as configWith, findElement, register as registerWith, shareMessage, targetOf } from '../helpers/teams.js';

const log = createLogger('silent');
const SECRET = randomBytes(32).toString('hex');

let standIn: BotConnectorStandIn;
let artifactsDir: string;
const register = (options: Partial<BotApp> = {}): BotApp => registerWith(standIn, options);
const configFor = (app: BotApp, env: Record<string, string> = {}): Config => configWith(standIn, app, env);
const target = (overrides: Partial<TeamsTarget> = {}): TeamsTarget => targetOf(standIn, overrides);
/** Retries without real waits: the policy is unit-tested; here the protocol is. */
const fast: Partial<TeamsDeps> = { sleep: () => Promise.resolve() };

/** High-entropy pixels: a PNG that compresses badly, of a chosen size in bytes (roughly). */
async function noisePng(width: number, height: number): Promise<ImagePart> {
  const data = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
  return { data, mime: 'image/png', width, height, artifactPath: 'screenshot/2026-11-20/7.png' };
}

beforeAll(async () => {
  standIn = await BotConnectorStandIn.start({ apps: [] });
  artifactsDir = mkdtempSync(join(tmpdir(), 'courier-teams-limits-'));
});

afterAll(async () => {
  await standIn?.close();
  rmSync(artifactsDir, { recursive: true, force: true });
});

describe('image sizes by Teams rules', () => {
  it('sends a large capture within 1024 × 1024 and not needlessly small, and a 1000-px chart as it is', async () => {
    const sender = createTeamsSender({ config: configFor(register()), log });
    const large = await chartPng(2000, 1040, 8);
    expect(large.data.length).toBeGreaterThan(200_000);

    const sent = await sender.postWithReport(target(), shareMessage(large));
    const arrived = await cardImage(standIn.posts.at(-1)!.card);
    expect(sent.image?.path).toBe('inline');
    expect(arrived).toMatchObject({ width: 1024, height: 532 });
    expect(sent.bytes).toBeLessThanOrEqual(262_144);

    const tall = await sender.postWithReport(target(), shareMessage(await chartPng(900, 2400)));
    expect(await cardImage(standIn.posts.at(-1)!.card)).toMatchObject({ width: 384, height: 1024 });
    expect(tall.image?.reason).toMatch(/scaled into Teams' 1024 × 1024 limit/);

    const chart = await chartPng(1000, 520);
    const plain = await sender.postWithReport(target(), shareMessage(chart));
    expect(plain.image).toMatchObject({ path: 'inline', width: 1000, height: 520 });
    expect(plain.image?.reason).toMatch(/as captured/);
  });

  it('passes a card near the 256 KB request limit, and re-encodes one just over it at full size', async () => {
    const sender = createTeamsSender({ config: configFor(register()), log });
    const near = await sender.postWithReport(target(), shareMessage(await noisePng(256, 250)));
    expect(near.image).toMatchObject({ path: 'inline', mime: 'image/png', width: 256, height: 250 });
    expect(near.bytes).toBeGreaterThan(240_000);
    expect(near.bytes).toBeLessThanOrEqual(262_144);
    expect(standIn.posts.at(-1)?.bytes).toBe(near.bytes);

    const over = await sender.postWithReport(target(), shareMessage(await noisePng(300, 300)));
    expect(over.image).toMatchObject({ path: 'inline', mime: 'image/jpeg', width: 300, height: 300 });
    expect(over.image?.reason).toMatch(/re-encoded to fit the request/);
    expect(over.bytes).toBeLessThanOrEqual(262_144);
  });

  it('falls back in order when Teams is stricter still: a smaller image, then a signed link, then no image', async () => {
    const app = register();
    mkdirSync(join(artifactsDir, 'screenshot', '2026-11-20'), { recursive: true });
    const image = await chartPng(1280, 618, 8);
    writeFileSync(join(artifactsDir, 'screenshot', '2026-11-20', '42.png'), image.data);
    const withLinks = configFor(app, { PUBLIC_URL: 'https://courier.example.com', ARTIFACT_LINK_SECRET: SECRET, ARTIFACTS_DIR: artifactsDir });
    const textOnly = await createTeamsSender({ config: configFor(app), log }).postWithReport(target(), shareMessage(undefined));
    standIn.maxPostBytes = textOnly.bytes + 2_000; // room for a link, not for a picture
    try {
      const linked = await createTeamsSender({ config: withLinks, log }).postWithReport(target(), shareMessage(image));
      expect(linked.refused).toEqual(['inline', 'smaller']);
      expect(linked.image?.path).toBe('link');
      // The linked image obeys the same 1024 × 1024: a resized copy beside the artifact, kept as long as the link lives.
      const url = new URL(String(findElement(standIn.posts.at(-1)!.card, 'Image')[0]?.url));
      const path = decodeURIComponent(url.pathname.replace('/artifacts/', ''));
      expect(path).toMatch(/^screenshot\/2026-11-20\/42\.teams\.(png|jpg)$/);
      expect(checkArtifactSignature(SECRET, path, url.searchParams.get('expires'), url.searchParams.get('signature'), Date.now() / 1000)).toBe('valid');
      const copy = await sharp(join(artifactsDir, path)).metadata();
      expect(Math.max(copy.width ?? 0, copy.height ?? 0)).toBe(1024);
      expect(readdirSync(join(artifactsDir, 'screenshot', '2026-11-20')).some((f) => f.startsWith(`.${path.split('/').pop()}.keep-until-`))).toBe(true);

      const none = await createTeamsSender({ config: configFor(app), log }).postWithReport(target(), shareMessage(image));
      expect(none.refused).toEqual(['inline', 'smaller']);
      expect(none.image?.path).toBe('none');
      expect(none.image?.reason).toMatch(/^no image: /);
      expect(findElement(standIn.posts.at(-1)!.card, 'Image')).toEqual([]);
      expect(findElement(standIn.posts.at(-1)!.card, 'Action.OpenUrl')[0]).toMatchObject({ title: 'Open in Toucan' });
    } finally {
      standIn.maxPostBytes = null;
    }
  });

  it('refuses, like Teams, what courier must never send', async () => {
    const tooWide = { type: 'Image', url: `data:image/png;base64,${(await sharp({ create: { width: 1200, height: 100, channels: 3, background: '#fff' } }).png().toBuffer()).toString('base64')}` };
    const overHttp = { type: 'Image', url: 'http://courier.example.com/artifacts/a.png' };
    expect(checkPostBody(Buffer.from('{}'), { body: [tooWide] })?.message).toMatch(/1200×100, over 1024×1024/);
    expect(checkPostBody(Buffer.from('{}'), { body: [overHttp] })?.message).toMatch(/not https/);
    expect(checkPostBody(Buffer.alloc(262_145), null)).toMatchObject({ status: 413, code: 'MessageSizeTooBig' });
    expect(checkPostBody(Buffer.from(`{"text":"${'x'.repeat(110_000)}"}`), null)?.message).toMatch(/without base64 images/);
  });
});

describe('retries as Microsoft documents them', () => {
  it('ends 429 (retry time in the body), 412 and 502 in a row in one post', async () => {
    const sender = createTeamsSender({ config: configFor(register()), log, ...fast });
    const before = standIn.posts.length;
    standIn.failNext(429, { retryAfterSeconds: 1, retryAfterIn: 'body' });
    standIn.failNext(412);
    standIn.failNext(502);

    const report = await sender.postWithReport(target(), shareMessage(undefined));

    expect(standIn.connectorRequests.filter((r) => r.method === 'POST').slice(-4).map((r) => r.status)).toEqual([429, 412, 502, 201]);
    expect(report.attempts).toBe(4);
    expect(standIn.posts.length).toBe(before + 1);
    expect(standIn.posts.at(-1)?.activityId).toBe(report.id);
  });

  it("gives up at the job's deadline or after the most attempts, saying why; other errors at once", async () => {
    const sender = createTeamsSender({ config: configFor(register()), log, ...fast, retry: { maxAttempts: 3 } });
    const before = standIn.posts.length;

    standIn.failNext(429, { retryAfterSeconds: 3600 });
    const late = await rejection(sender.post(target(), shareMessage(undefined), { deadlineMs: Date.now() + 60_000 }), CourierError);
    expect(late.code).toBe('DELIVERY_FAILED');
    expect(late.message).toMatch(/throttling.*3600 s, past this attempt's deadline/);

    let requests = standIn.connectorRequests.length;
    standIn.failNext(503, { times: 10 });
    const many = await rejection(sender.post(target(), shareMessage(undefined)), CourierError);
    expect(many.message).toMatch(/unavailable \(HTTP 503.*after 3 attempts/);
    expect(standIn.connectorRequests.length - requests).toBe(3);
    standIn.clearFailures();

    requests = standIn.connectorRequests.length;
    standIn.failNext(500);
    expect((await rejection(sender.post(target(), shareMessage(undefined)), CourierError)).message).toMatch(/HTTP 500/);
    expect(standIn.connectorRequests.length - requests).toBe(1);
    expect(standIn.posts.length).toBe(before);
  });

  it('retries a 502 that came after Teams made the post, which shows it twice (the documented trade-off)', async () => {
    const sender = createTeamsSender({ config: configFor(register()), log, ...fast });
    const before = standIn.posts.length;
    standIn.failNext(502, { afterPosting: true });
    await sender.post(target(), shareMessage(undefined));
    expect(standIn.posts.length - before).toBe(2);
  });
});

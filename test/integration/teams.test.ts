// Teams delivery end to end on loopback: the real botbuilder / MSAL code
// path against the identity + Bot Connector stand-in (https with the loopback
// test CA, which test/setup/global.ts hands to the workers as
// NODE_EXTRA_CA_CERTS). Limits, fallbacks and retries: teams-limits.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { TeamsTarget } from '../../src/contracts/common.js';
import { BotConnectorStandIn, BOT_FRAMEWORK_GOV_SCOPE, GOV_MULTI_TENANT_AUTHORITY, LOOPBACK_CA_PATH, MULTI_TENANT_AUTHORITY, type BotApp } from '../../src/demo/bot-connector.js';
import { createTeamsSender } from '../../src/delivery/teams.js';
import { checkTeams } from '../../src/delivery/teams-check.js';
import { CourierError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { rejection } from '../helpers/rejection.js';
import { chartPng, findElement, newApp, register as registerWith, configFor as configWith, shareMessage, targetOf, CHANNEL, TENANT } from '../helpers/teams.js';

const log = createLogger('silent');

let standIn: BotConnectorStandIn;
const register = (options: Partial<BotApp> = {}): BotApp => registerWith(standIn, options);
const configFor = (app: BotApp, env: Record<string, string> = {}): Config => configWith(standIn, app, env);
const target = (overrides: Partial<TeamsTarget> = {}): TeamsTarget => targetOf(standIn, overrides);

/** Every string in a JSON tree, with the element type that holds it. */
function strings(node: unknown, holder = ''): { holder: string; key: string; value: string }[] {
  if (Array.isArray(node)) return node.flatMap((item) => strings(item, holder));
  if (node === null || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  const type = typeof object.type === 'string' ? object.type : holder;
  return Object.entries(object).flatMap(([key, value]) => (typeof value === 'string' ? [{ holder: type, key, value }] : strings(value, type)));
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

describe('Teams delivery through the Bot Framework SDK', () => {
  it('gets NODE_EXTRA_CA_CERTS in the forked test worker', () => {
    const bundle = readFileSync(process.env.NODE_EXTRA_CA_CERTS ?? '', 'utf8');
    expect(bundle).toContain(readFileSync(LOOPBACK_CA_PATH, 'utf8').trim());
  });

  it('posts a new thread whose card has the image and inert text', async () => {
    const app = register();
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
    const app = register();
    const wrong = { ...app, password: 'not-the-password-123' };
    const sender = createTeamsSender({ config: configFor(wrong), log });
    const before = standIn.posts.length;

    const err = await rejection(sender.post(target(), shareMessage(undefined)), CourierError);

    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.message).toMatch(/authentication failed/i);
    expect(err.message).toMatch(/MICROSOFT_APP_PASSWORD/);
    expect(err.message).not.toContain('not-the-password-123');
    expect(err.message).not.toContain(app.password);
    expect(standIn.tokenRequests.filter((r) => r.clientId === app.appId).map((r) => r.status)).toEqual([401]);
    expect(standIn.posts.length).toBe(before);
  });

  it('refuses an unlisted service URL with FORBIDDEN_URL before any token is requested', async () => {
    const app = register();
    const sender = createTeamsSender({ config: configFor(app), log });
    const tokensBefore = standIn.tokenRequests.length;
    const requestsBefore = standIn.connectorRequests.length;

    const err = await rejection(sender.post(target({ serviceUrl: 'https://smba.evil.example/emea/' }), shareMessage(undefined)), CourierError);
    const listErr = await rejection(sender.listChannels('19:team-general@thread.tacv2', 'https://smba.evil.example/emea/'), CourierError);

    expect(err.code).toBe('FORBIDDEN_URL');
    expect(err.message).toContain('TEAMS_SERVICE_URLS');
    expect(listErr.code).toBe('FORBIDDEN_URL');
    expect(standIn.tokenRequests.length).toBe(tokensBefore);
    expect(standIn.connectorRequests.length).toBe(requestsBefore);
  });

  it('caches the token across posts, and replaces a token the connector refuses', async () => {
    const app = register();
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
    const multi = register({ multiTenant: true });
    const single = register({ multiTenant: false, tenantId: 'contoso-tenant-0001' });

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
    const misconfigured = register({ multiTenant: false, tenantId: 'contoso-tenant-0001' });
    const wrongType = await rejection(createTeamsSender({ config: configFor(misconfigured), log }).post(target(), shareMessage(undefined)), CourierError);
    expect(wrongType.message).toMatch(/authentication failed.*does not know this app id.*MICROSOFT_APP_TYPE/s);
  });

  it('names an authentication failure when the connector answers 403', async () => {
    const app = register();
    const sender = createTeamsSender({ config: configFor(app), log });
    standIn.failNext(403);
    const err = await rejection(sender.post(target(), shareMessage(undefined)), CourierError);
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
    const app = register();
    expect(await checkTeams(configFor(app))).toEqual({ ok: true, detail: expect.stringContaining(`${standIn.loginUrl}/botframework.com`) as string });
    const bad = await checkTeams(configFor({ ...app, password: 'wrong-password-456' }));
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/authentication failed/);
    expect(bad.detail).not.toContain('wrong-password-456');
  });

  it('answers a post to a team the bot was removed from with a clear, final 403 (BotNotInConversationRoster)', async () => {
    const app = register();
    const sender = createTeamsSender({ config: configFor(app), log });
    standIn.removeBotFrom('19:finance-team@thread.tacv2');
    standIn.setChannels('19:finance-team@thread.tacv2', [{ id: '19:finance-q3@thread.tacv2', name: 'Q3' }]);
    const requestsBefore = standIn.connectorRequests.length;

    const err = await rejection(sender.post(target({ channelId: '19:finance-q3@thread.tacv2' }), shareMessage(undefined)), CourierError);
    const listed = await rejection(sender.listChannels('19:finance-team@thread.tacv2', standIn.serviceUrl()), CourierError);

    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.message).toMatch(/HTTP 403 BotNotInConversationRoster.*installed in the team/);
    expect(listed.message).toMatch(/BotNotInConversationRoster/);
    // Not retried: one post, one listing.
    expect(standIn.connectorRequests.length - requestsBefore).toBe(2);
  });

  it('authenticates a GCC High bot with the US Government audience and directory (MICROSOFT_CLOUD)', async () => {
    const app = register({ government: true });
    const config = configFor(app, { MICROSOFT_CLOUD: 'gcc-high' });
    expect(config.microsoft.cloud).toBe('gcc-high');

    await createTeamsSender({ config, log }).post(target(), shareMessage(undefined));

    expect(standIn.tokenRequests.filter((r) => r.clientId === app.appId).map((r) => [r.tenant, r.scope, r.status])).toEqual([[GOV_MULTI_TENANT_AUTHORITY.toLowerCase(), BOT_FRAMEWORK_GOV_SCOPE, 200]]);
    expect(standIn.posts.at(-1)?.appId).toBe(app.appId);
    // The same bot configured for the public cloud asks for the wrong audience and is refused.
    const wrongCloud = await rejection(createTeamsSender({ config: configFor(app), log }).post(target(), shareMessage(undefined)), CourierError);
    expect(wrongCloud.message).toMatch(/authentication failed|cannot obtain a Teams token/);
    expect(standIn.tokenRequests.filter((r) => r.clientId === app.appId && r.tenant === MULTI_TENANT_AUTHORITY).length).toBeGreaterThan(0);
  });
});

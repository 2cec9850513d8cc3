// A local stand-in for Microsoft's identity platform and the Teams Bot
// Connector, speaking their real HTTP protocols over https on loopback. Used
// by the tests and by `courier demo`, so botbuilder's real code path (MSAL's
// client-credentials exchange, then the connector REST calls) runs end to end
// with nothing on the internet.
//
// Two jobs on one port: the identity platform (identity-stand-in.ts:
// OpenID metadata and client-credentials tokens, checked as Entra ID checks
// them) and, here, the Bot Connector.
// Connector (under any service URL path, e.g. <url>/emea/): POST
// v3/conversations and GET v3/teams/<teamId>/conversations, both refusing a
// request without a token this server issued (401). It is no more lenient
// than Teams (teams-rules.ts): it refuses bodies over 256 KB and messages over
// 100 KB without their images (413 MessageSizeTooBig), card images over
// 1024 × 1024 or 1 MB or linked over plain http (400), more new threads per
// channel than Teams' per-thread rate (429 with Retry-After), and posts to a
// team the bot was removed from (403 BotNotInConversationRoster). It records
// every post, can be told to fail the next requests (429 with the retry time
// in the header or the body, 412, 502, 503, 504, 403...), even after creating
// the post (as a 502/504 from Teams may), and, given a directory, writes each
// posted card (and its inline image).
//
// It listens with a loopback certificate made at run time (loopback-tls.ts):
// a client trusts it only when NODE_EXTRA_CA_CERTS includes LOOPBACK_CA_PATH.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { IdentityStandIn } from './identity-stand-in.js';
import { closeHttpServer } from '../server/http.js';
import { ensureLoopbackTls } from './loopback-tls.js';
import { findDataUri, json, readBody, TEAMS_ERROR_CODES } from './bot-connector-http.js';
import { checkPostBody, TEAMS_LIMITS, ThreadRate, type Refusal } from './teams-rules.js';
import type {
  BotApp,
  BotConnectorOptions,
  ChannelEntry,
  ConnectorRequest,
  ConversationParams,
  FailOptions,
  ForcedFailure,
  PostedConversation,
  TokenRequest,
} from './bot-connector-types.js';

export type { BotApp, BotConnectorOptions, ChannelEntry, ConnectorRequest, ConversationParams, FailOptions, PostedActivity, PostedConversation, TokenRequest } from './bot-connector-types.js';

export { extraCaCertsWithLoopbackCa, findDataUri, LOOPBACK_CA_PATH } from './bot-connector-http.js';

export { BOT_FRAMEWORK_GOV_SCOPE, BOT_FRAMEWORK_SCOPE, GOV_MULTI_TENANT_AUTHORITY, MULTI_TENANT_AUTHORITY } from './identity-stand-in.js';

export class BotConnectorStandIn {
  readonly connectorRequests: ConnectorRequest[] = [];
  readonly posts: PostedConversation[] = [];
  /** Bodies above this many bytes get 413 (null: no limit). */
  maxPostBytes: number | null;
  /**
   * Awaited before an authorised post is served: a test holds a post here
   * (e.g. to kill the worker while its Teams send is in flight).
   */
  beforePost: (() => Promise<void> | void) | null = null;
  /**
   * Awaited after a post was created and before its 201 is sent: a connector
   * that creates the post at once but answers late. The post exists whatever
   * becomes of the client meanwhile.
   */
  beforeAnswer: ((posted: PostedConversation) => Promise<void> | void) | null = null;
  private readonly identity: IdentityStandIn;
  private readonly teams: Map<string, ChannelEntry[]>;
  private readonly failures: ForcedFailure[] = [];
  private readonly uninstalled = new Set<string>();
  private readonly options: BotConnectorOptions;
  /** Teams' per-thread rate, per bot and channel (null when off). */
  readonly rate: ThreadRate | null;
  private server: Server | null = null;
  /** Numbers posts and files; taken before any await so concurrent posts never share one. */
  private sequence = 0;
  /** Teams activity ids are millisecond timestamps; keep them strictly increasing. */
  private lastActivityId = 0;
  url = '';

  private constructor(options: BotConnectorOptions) {
    this.options = options;
    this.identity = new IdentityStandIn(options.apps, options.tokenLifetimeSeconds);
    this.teams = new Map(Object.entries(options.teams ?? {}));
    this.maxPostBytes = options.maxPostBytes ?? null;
    this.rate = options.rateLimit === false ? null : new ThreadRate((options.limits ?? TEAMS_LIMITS).threadWindows);
  }

  static async start(options: BotConnectorOptions): Promise<BotConnectorStandIn> {
    const standIn = new BotConnectorStandIn(options);
    await standIn.listen();
    return standIn;
  }

  /** MICROSOFT_LOGIN_URL for this stand-in. */
  get loginUrl(): string {
    return this.url;
  }

  /** A Bot Connector service URL served by this stand-in (region path like Teams' /emea/). */
  serviceUrl(region = 'emea'): string {
    return `${this.url}/${region}/`;
  }

  /** TEAMS_SERVICE_URLS entry that allows every service URL of this stand-in. */
  get serviceUrlPrefix(): string {
    return `${this.url}/`;
  }

  /** The next `times` matching connector requests answer `status` (with a retry time when given) instead of being served. */
  failNext(status: number, options: FailOptions = {}): void {
    this.failures.push({
      status,
      remaining: options.times ?? 1,
      retryAfterSeconds: options.retryAfterSeconds ?? null,
      retryAfterIn: options.retryAfterIn ?? 'header',
      on: options.on ?? 'post',
      afterPosting: options.afterPosting ?? false,
    });
  }

  /** Removes the bot from a team (or a channel id): posts there and its channel list get 403 BotNotInConversationRoster. */
  removeBotFrom(teamOrChannelId: string): void {
    this.uninstalled.add(teamOrChannelId);
  }

  /** Whether the bot is in the team of this channel: true unless it was removed from it (or from that channel's team). */
  private isInstalledFor(channelId: string): boolean {
    if (this.uninstalled.has(channelId)) return false;
    for (const [teamId, channels] of this.teams) if (this.uninstalled.has(teamId) && channels.some((c) => c.id === channelId)) return false;
    return true;
  }

  /** Token requests, answered or refused. */
  get tokenRequests(): TokenRequest[] {
    return this.identity.tokenRequests;
  }

  /** Tenants whose OpenID metadata was asked for. */
  get metadataRequests(): string[] {
    return this.identity.metadataRequests;
  }

  /** Registers another bot with the identity provider. */
  addApp(app: BotApp): void {
    this.identity.addApp(app);
  }

  /** Drops failures set with failNext() that have not happened yet. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Forgets every issued token (as after a revocation): the connector answers 401 to them from now on. */
  revokeTokens(): void {
    this.identity.revokeTokens();
  }

  setChannels(teamId: string, channels: ChannelEntry[]): void {
    this.teams.set(teamId, channels);
  }

  /** Token requests that were answered with a token. */
  get tokensIssued(): number {
    return this.tokenRequests.filter((r) => r.status === 200).length;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await closeHttpServer(server);
  }

  private async listen(): Promise<void> {
    const { key, cert } = await ensureLoopbackTls();
    const server = createServer(
      { key, cert },
      (req, res) => {
        this.route(req, res).catch((err: unknown) => {
          if (!res.headersSent) json(res, 500, { error: { code: 'InternalError', message: String(err) } });
        });
      },
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `https://${this.options.host ?? '127.0.0.1'}:${port}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    if (await this.identity.route(req, res, path, this.url)) return;
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = /^(\/(?:[^/]+\/)*)v3\/conversations$/.exec(path))) {
      return this.connector(req, res, 'post', (body, appId, failAfter) => this.createConversation(res, body, appId, m![1]!, failAfter));
    }
    if (req.method === 'GET' && (m = /^\/(?:[^/]+\/)*v3\/teams\/([^/]+)\/conversations$/.exec(path))) {
      const teamId = decodeURIComponent(m[1]!);
      return this.connector(req, res, 'list', () => this.listChannels(res, teamId));
    }
    json(res, 404, { error: { code: 'NotFound', message: `no route for ${req.method ?? ''} ${path}` } });
  }

  /** Checks the bearer token and the forced failures, then serves. */
  private async connector(
    req: IncomingMessage,
    res: ServerResponse,
    kind: 'post' | 'list',
    serve: (body: Buffer, appId: string, failAfter: ForcedFailure | undefined) => Promise<void> | void,
  ): Promise<void> {
    const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const entry: ConnectorRequest = { method: req.method ?? '', path: new URL(req.url ?? '/', this.url).pathname, status: 0, bytes: body.length };
    this.connectorRequests.push(entry);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      json(res, status, payload, headers);
    };
    const appId = this.identity.appOf(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]);
    if (appId === null) {
      return answer(401, { message: 'Authorization has been denied for this request.' });
    }
    const failure = this.failures.find((f) => f.remaining > 0 && (f.on === 'any' || f.on === kind));
    if (failure) failure.remaining -= 1;
    if (failure && !(failure.afterPosting && kind === 'post')) {
      const refusal = forcedRefusal(failure);
      return answer(refusal.status, { error: { code: refusal.code, message: refusal.message } }, refusal.headers);
    }
    if (kind === 'post' && this.beforePost) await this.beforePost();
    if (kind === 'post' && this.maxPostBytes !== null && body.length > this.maxPostBytes) {
      return answer(413, { error: { code: 'MessageSizeTooBig', message: `The request content length exceeded limit of ${this.maxPostBytes} bytes.` } });
    }
    await serve(body, appId, failure);
    entry.status = res.statusCode;
  }

  private async createConversation(res: ServerResponse, body: Buffer, appId: string, servicePath: string, failAfter: ForcedFailure | undefined): Promise<void> {
    const refuse = (refusal: Refusal): void => json(res, refusal.status, { error: { code: refusal.code, message: refusal.message } }, refusal.headers);
    let params: ConversationParams;
    try {
      params = JSON.parse(body.toString('utf8')) as ConversationParams;
    } catch {
      return refuse({ status: 400, code: 'BadSyntax', message: 'Request body is not JSON' });
    }
    const channelId = params.channelData?.channel?.id;
    const activity = params.activity;
    if (params.isGroup !== true || !channelId || !activity) {
      return refuse({ status: 400, code: 'BadArgument', message: 'Incorrect conversation creation parameters' });
    }
    const content = activity.attachments?.[0]?.content ?? null;
    const limits = this.options.limits ?? TEAMS_LIMITS;
    const tooMuch = checkPostBody(body, content, limits);
    if (tooMuch) return refuse(tooMuch);
    if (!this.isInstalledFor(channelId)) return refuse(NOT_IN_ROSTER);
    const throttled = this.rate?.take(appId, channelId, Date.now());
    if (throttled) return refuse(throttled);
    const sequence = ++this.sequence;
    this.lastActivityId = Math.max(Date.now(), this.lastActivityId + 1);
    const activityId = String(this.lastActivityId);
    const conversationId = `${channelId};messageid=${activityId}`;
    const posted: PostedConversation = { params, activity, card: content, conversationId, activityId, servicePath, bytes: body.length, files: [], appId };
    this.posts.push(posted);
    if (this.options.dir) posted.files = await this.writeFiles(this.options.dir, sequence, content);
    // The post exists, but the answer is lost on the way (a 502/504 from Teams' gateway).
    if (failAfter) return refuse(forcedRefusal(failAfter));
    if (this.beforeAnswer) await this.beforeAnswer(posted);
    json(res, 201, { id: conversationId, activityId });
  }

  private listChannels(res: ServerResponse, teamId: string): void {
    const channels = this.teams.get(teamId);
    if (!channels || this.uninstalled.has(teamId)) {
      // What Teams answers when the bot is not installed in that team.
      return json(res, NOT_IN_ROSTER.status, { error: { code: NOT_IN_ROSTER.code, message: NOT_IN_ROSTER.message } });
    }
    json(res, 200, { conversations: channels.map((c) => ({ id: c.id, name: c.name })) });
  }

  private async writeFiles(dir: string, sequence: number, card: unknown): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const stem = `teams-${String(sequence).padStart(3, '0')}`;
    const files: string[] = [];
    const cardFile = join(dir, `${stem}.card.json`);
    await writeFile(cardFile, `${JSON.stringify(card, null, 2)}\n`);
    files.push(cardFile);
    const image = findDataUri(card);
    if (image) {
      const imageFile = join(dir, `${stem}.image.${image.mime === 'image/png' ? 'png' : 'jpg'}`);
      await writeFile(imageFile, image.data);
      files.push(imageFile);
    }
    return files;
  }
}

/** What Teams answers when the bot is not installed in the team. */
const NOT_IN_ROSTER: Refusal = { status: 403, code: 'BotNotInConversationRoster', message: "The bot isn't part of the conversation roster." };

/** The answer of a failure set with failNext(), with its retry time where it was asked for. */
function forcedRefusal(failure: ForcedFailure): Refusal {
  const code = TEAMS_ERROR_CODES[failure.status] ?? 'Error';
  const seconds = failure.retryAfterSeconds;
  if (seconds === null) return { status: failure.status, code, message: `stand-in told to answer ${failure.status}` };
  if (failure.retryAfterIn === 'body') return { status: failure.status, code, message: `Too many requests. Retry after ${seconds} seconds.` };
  return { status: failure.status, code, message: `stand-in told to answer ${failure.status}`, headers: { 'retry-after': String(seconds) } };
}

// A local stand-in for Microsoft's identity platform and the Teams Bot
// Connector, speaking their real HTTP protocols over https on loopback. Used
// by the tests and by `courier demo`, so botbuilder's real code path (MSAL's
// client-credentials exchange, then the connector REST calls) runs end to end
// with nothing on the internet.
//
// Identity: the OpenID metadata MSAL asks for
// (GET /<tenant>/v2.0/.well-known/openid-configuration) and the token endpoint
// (POST /<tenant>/oauth2/v2.0/token, grant_type=client_credentials), which
// checks client_id, client_secret, the tenant and the scope, and issues
// opaque bearer tokens that expire.
// Connector (under any service URL path, e.g. <url>/emea/): POST
// v3/conversations and GET v3/teams/<teamId>/conversations, both refusing a
// request without a token this server issued (401). It records every post,
// can be told to fail the next requests (429 with Retry-After, 503, 403...)
// or to refuse bodies above a size (413 MessageSizeTooBig, as Teams does),
// and, given a directory, writes each posted card (and its inline image).
//
// It listens with a loopback certificate made at run time (loopback-tls.ts):
// a client trusts it only when NODE_EXTRA_CA_CERTS includes LOOPBACK_CA_PATH.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLoopbackTls, LOOPBACK_CA_PATH } from './loopback-tls.js';

/** The CA that signed the stand-in's certificate: give it to Node as NODE_EXTRA_CA_CERTS (read at process start only). */
export { LOOPBACK_CA_PATH };

/** The scope botbuilder asks for when it talks to the Bot Connector. */
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';

/** The tenant a multi-tenant bot's token comes from. */
export const MULTI_TENANT_AUTHORITY = 'botframework.com';

export interface BotApp {
  appId: string;
  password: string;
  /** The directory the app is registered in: tokens are issued at /<tenantId>/ (single-tenant), and at /botframework.com/ when multiTenant. */
  tenantId?: string;
  multiTenant?: boolean;
}

export interface ChannelEntry {
  id: string;
  /** The General channel has no name in Teams' answer (null). */
  name: string | null;
}

export interface BotConnectorOptions {
  /** The bots this identity provider knows (app id + password). */
  apps: BotApp[];
  /** Teams the bot is installed in, with their channels. */
  teams?: Record<string, ChannelEntry[]>;
  host?: string;
  port?: number;
  /** Lifetime of issued tokens (Entra ID issues ~3599 s). */
  tokenLifetimeSeconds?: number;
  /** When set, each posted card is written there as teams-<n>.card.json (and its inline image as teams-<n>.image.png/.jpg). */
  dir?: string;
  /** Bodies of POST v3/conversations above this many bytes get 413 MessageSizeTooBig. */
  maxPostBytes?: number;
}

export interface TokenRequest {
  tenant: string;
  clientId: string;
  scope: string;
  grantType: string;
  /** The HTTP status the token endpoint answered. */
  status: number;
  at: Date;
}

export interface ConnectorRequest {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export interface PostedConversation {
  /** The conversation parameters as posted (isGroup, channelData, tenantId, activity). */
  params: ConversationParams;
  activity: PostedActivity;
  /** Parsed Adaptive Card content of the first attachment, if any. */
  card: unknown;
  conversationId: string;
  activityId: string;
  /** The service URL path prefix the post arrived under (e.g. "/emea/"). */
  servicePath: string;
  bytes: number;
  /** Files written for this post (card JSON, decoded image). */
  files: string[];
  /** The app id the bearer token was issued to. */
  appId: string;
}

export interface PostedActivity {
  type?: string;
  summary?: string;
  attachments?: { contentType?: string; content?: unknown }[];
  [key: string]: unknown;
}

export interface ConversationParams {
  isGroup?: boolean;
  tenantId?: string;
  channelData?: { channel?: { id?: string }; tenant?: { id?: string }; [key: string]: unknown };
  activity?: PostedActivity;
  [key: string]: unknown;
}

interface IssuedToken {
  appId: string;
  expiresAt: number;
}

interface ForcedFailure {
  status: number;
  retryAfterSeconds: number | null;
  remaining: number;
  on: 'post' | 'list' | 'any';
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BotConnectorStandIn {
  readonly tokenRequests: TokenRequest[] = [];
  readonly metadataRequests: string[] = [];
  readonly connectorRequests: ConnectorRequest[] = [];
  readonly posts: PostedConversation[] = [];
  /** Bodies above this many bytes get 413 (null: no limit). */
  maxPostBytes: number | null;
  /**
   * Awaited before an authorised post is served: a test holds a post here
   * (e.g. to kill the worker while its Teams send is in flight).
   */
  beforePost: (() => Promise<void> | void) | null = null;
  private readonly apps: BotApp[] = [];
  private readonly teams: Map<string, ChannelEntry[]>;
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly failures: ForcedFailure[] = [];
  private readonly options: BotConnectorOptions;
  private server: Server | null = null;
  /** Numbers posts and files; taken before any await so concurrent posts never share one. */
  private sequence = 0;
  /** Teams activity ids are millisecond timestamps; keep them strictly increasing. */
  private lastActivityId = 0;
  url = '';

  private constructor(options: BotConnectorOptions) {
    this.options = options;
    this.apps.push(...options.apps);
    this.teams = new Map(Object.entries(options.teams ?? {}));
    this.maxPostBytes = options.maxPostBytes ?? null;
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

  /** The next `times` matching connector requests answer `status` (with Retry-After when given) instead of being served. */
  failNext(status: number, options: { times?: number; retryAfterSeconds?: number | null; on?: 'post' | 'list' | 'any' } = {}): void {
    this.failures.push({ status, retryAfterSeconds: options.retryAfterSeconds ?? null, remaining: options.times ?? 1, on: options.on ?? 'post' });
  }

  /** Registers another bot with the identity provider. */
  addApp(app: BotApp): void {
    this.apps.push(app);
  }

  /** Drops failures set with failNext() that have not happened yet. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Forgets every issued token (as after a revocation): the connector answers 401 to them from now on. */
  revokeTokens(): void {
    this.tokens.clear();
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
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
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
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
      return this.openIdConfiguration(res, decodeURIComponent(m[1]!));
    }
    if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
      return this.token(req, res, decodeURIComponent(m[1]!));
    }
    if (req.method === 'POST' && (m = /^(\/(?:[^/]+\/)*)v3\/conversations$/.exec(path))) {
      return this.connector(req, res, 'post', (body, appId) => this.createConversation(res, body, appId, m![1]!));
    }
    if (req.method === 'GET' && (m = /^\/(?:[^/]+\/)*v3\/teams\/([^/]+)\/conversations$/.exec(path))) {
      const teamId = decodeURIComponent(m[1]!);
      return this.connector(req, res, 'list', () => this.listChannels(res, teamId));
    }
    json(res, 404, { error: { code: 'NotFound', message: `no route for ${req.method ?? ''} ${path}` } });
  }

  private openIdConfiguration(res: ServerResponse, tenant: string): void {
    this.metadataRequests.push(tenant);
    const base = `${this.url}/${encodeURIComponent(tenant)}`;
    // The fields MSAL requires (isOpenIdConfigResponse) and a few a real one has.
    json(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const clientId = form.get('client_id') ?? '';
    const record: TokenRequest = { tenant, clientId, scope: form.get('scope') ?? '', grantType: form.get('grant_type') ?? '', status: 0, at: new Date() };
    this.tokenRequests.push(record);
    const refuse = (status: number, error: string, description: string): void => {
      record.status = status;
      // Like Entra ID: an error code and an AADSTS sentence, never the secret that was sent.
      json(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] });
    };
    if (record.grantType !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    const app = this.apps.find((a) => a.appId === clientId);
    const inTenant = app !== undefined && (tenant === app.tenantId || (app.multiTenant === true && tenant === MULTI_TENANT_AUTHORITY));
    if (!app || !inTenant) {
      return refuse(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    if (form.get('client_secret') !== app.password) {
      return refuse(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    if (record.scope !== BOT_FRAMEWORK_SCOPE) return refuse(400, 'invalid_scope', `AADSTS70011: The provided value for the input parameter 'scope' is not valid: ${record.scope}`);
    const lifetime = this.options.tokenLifetimeSeconds ?? 3599;
    const accessToken = `stand-in.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { appId: app.appId, expiresAt: Date.now() + lifetime * 1000 });
    record.status = 200;
    json(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
  }

  /** Checks the bearer token and the forced failures, then serves. */
  private async connector(req: IncomingMessage, res: ServerResponse, kind: 'post' | 'list', serve: (body: Buffer, appId: string) => Promise<void> | void): Promise<void> {
    const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const entry: ConnectorRequest = { method: req.method ?? '', path: new URL(req.url ?? '/', this.url).pathname, status: 0, bytes: body.length };
    this.connectorRequests.push(entry);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      json(res, status, payload, headers);
    };
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const issued = token !== undefined ? this.tokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) {
      return answer(401, { message: 'Authorization has been denied for this request.' });
    }
    const failure = this.failures.find((f) => f.remaining > 0 && (f.on === 'any' || f.on === kind));
    if (failure) {
      failure.remaining -= 1;
      const headers: Record<string, string> = failure.retryAfterSeconds !== null ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      return answer(failure.status, { error: { code: ERROR_CODES[failure.status] ?? 'Error', message: `stand-in told to answer ${failure.status}` } }, headers);
    }
    if (kind === 'post' && this.beforePost) await this.beforePost();
    if (kind === 'post' && this.maxPostBytes !== null && body.length > this.maxPostBytes) {
      return answer(413, { error: { code: 'MessageSizeTooBig', message: `The request content length exceeded limit of ${this.maxPostBytes} bytes.` } });
    }
    await serve(body, issued.appId);
    entry.status = res.statusCode;
  }

  private async createConversation(res: ServerResponse, body: Buffer, appId: string, servicePath: string): Promise<void> {
    let params: ConversationParams;
    try {
      params = JSON.parse(body.toString('utf8')) as ConversationParams;
    } catch {
      return json(res, 400, { error: { code: 'BadSyntax', message: 'Request body is not JSON' } });
    }
    const channelId = params.channelData?.channel?.id;
    const activity = params.activity;
    if (params.isGroup !== true || !channelId || !activity) {
      return json(res, 400, { error: { code: 'BadArgument', message: 'Incorrect conversation creation parameters' } });
    }
    const sequence = ++this.sequence;
    this.lastActivityId = Math.max(Date.now(), this.lastActivityId + 1);
    const activityId = String(this.lastActivityId);
    const conversationId = `${channelId};messageid=${activityId}`;
    const content = activity.attachments?.[0]?.content ?? null;
    const posted: PostedConversation = { params, activity, card: content, conversationId, activityId, servicePath, bytes: body.length, files: [], appId };
    this.posts.push(posted);
    if (this.options.dir) posted.files = await this.writeFiles(this.options.dir, sequence, content);
    json(res, 201, { id: conversationId, activityId });
  }

  private listChannels(res: ServerResponse, teamId: string): void {
    const channels = this.teams.get(teamId);
    if (!channels) {
      // What Teams answers when the bot is not installed in that team.
      return json(res, 403, { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } });
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

const ERROR_CODES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'MessageSizeTooBig',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

function json(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The first data: URI image anywhere in a card (Image.url), decoded. */
export function findDataUri(card: unknown): { mime: string; data: Buffer } | null {
  if (typeof card === 'string') {
    const m = /^data:(image\/(?:png|jpeg));base64,([A-Za-z0-9+/=]+)$/.exec(card);
    return m ? { mime: m[1]!, data: Buffer.from(m[2]!, 'base64') } : null;
  }
  if (Array.isArray(card)) {
    for (const item of card) {
      const found = findDataUri(item);
      if (found) return found;
    }
    return null;
  }
  if (card !== null && typeof card === 'object') {
    for (const value of Object.values(card)) {
      const found = findDataUri(value);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A value for NODE_EXTRA_CA_CERTS that trusts the loopback CA: its path, or,
 * when another bundle is already set, a temporary file with both (Node takes
 * a single file).
 */
export async function extraCaCertsWithLoopbackCa(current: string | undefined): Promise<string> {
  await ensureLoopbackTls();
  if (!current || current === LOOPBACK_CA_PATH) return LOOPBACK_CA_PATH;
  const bundle = join(mkdtempSync(join(tmpdir(), 'courier-ca-')), 'ca-bundle.crt');
  writeFileSync(bundle, `${readFileSync(current, 'utf8').trimEnd()}\n${readFileSync(LOOPBACK_CA_PATH, 'utf8')}`);
  return bundle;
}

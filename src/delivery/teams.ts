// Microsoft Teams delivery through the Bot Framework SDK (botbuilder 4,
// botframework-connector) and MSAL. Microsoft has archived that SDK (its
// successor is the Microsoft 365 Agents SDK), so every use of it lives in
// this file and nowhere else: replacing it means rewriting this file only.
//
// How a post goes:
//   1. the job's service URL must start with an entry of TEAMS_SERVICE_URLS
//      (it will receive the bot's token), checked before any token exists;
//   2. MSAL exchanges MICROSOFT_APP_ID + MICROSOFT_APP_PASSWORD for a token
//      at MICROSOFT_LOGIN_URL/<tenant> (OAuth 2.0 client credentials, scope
//      https://api.botframework.com/.default); botframework-connector keeps it
//      in its process-wide cache (AppCredentials.cache) until 5 minutes
//      before it expires, so a busy worker asks for one about every hour;
//   3. CloudAdapter.createConversationAsync starts a new thread in the
//      channel (POST <serviceUrl>/v3/conversations) with the card;
//   4. 429/503 wait for Retry-After (bounded), 413 steps down the image
//      ladder (card-image.ts), a 401 from the connector refreshes the token
//      once (it may have been revoked), everything else fails the delivery
//      with a sentence naming the cause. No message ever contains the password
//      or a token.
import type * as MsalCjs from '@azure/msal-node' with { 'resolution-mode': 'require' };
import { createRequire } from 'node:module';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type ConversationParameters } from 'botbuilder';
import {
  AppCredentials,
  AuthenticationConstants,
  MsalServiceClientCredentialsFactory,
  TeamsConnectorClient,
  type ClaimsIdentity,
  type ConnectorClient,
  type ConnectorFactory,
} from 'botframework-connector';
import type { Config } from '../config.js';
import type { TeamsTarget } from '../contracts/common.js';
import { CourierError, errorMessage, isCourierError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { assertServiceUrlAllowed } from '../urls.js';
import { imageLadder, dataUriLength, materializeStep, signedImageLink, TEAMS_MESSAGE_BUDGET_BYTES, type ImageChoice, type ImageStep } from './card-image.js';
import { buildCard, cardActivity, type CardActivity, type CardImage } from './cards.js';
import type { Message } from './messages.js';
import type { TeamsChannelInfo, TeamsSender } from './types.js';

// MSAL ships a CommonJS and an ES module build. botframework-connector
// requires the CommonJS one; loading the same one here keeps a single copy of
// MSAL in the process (and the types botframework-connector expects).
const { ConfidentialClientApplication, LogLevel } = createRequire(import.meta.url)('@azure/msal-node') as typeof MsalCjs;

/** The tenant a multi-tenant bot gets its token from. */
const MULTI_TENANT = 'botframework.com';
/** The audience of Bot Connector tokens; MSAL asks for "<this>/.default". */
const CONNECTOR_AUDIENCE = AuthenticationConstants.ToChannelFromBotOAuthScope;

export interface TeamsLimits {
  /** Bytes the whole POST body may take with an inline image (see card-image.ts). */
  messageBudgetBytes: number;
  /** Attempts of one request while Teams answers 429/503. */
  maxAttempts: number;
  /** Longest single wait for Retry-After; a longer one fails now and leaves it to the job's retry. */
  maxRetryWaitMs: number;
}

export const DEFAULT_TEAMS_LIMITS: TeamsLimits = {
  messageBudgetBytes: TEAMS_MESSAGE_BUDGET_BYTES,
  maxAttempts: 4,
  maxRetryWaitMs: 30_000,
};

export interface TeamsDeps {
  config: Config;
  log: Logger;
  limits?: Partial<TeamsLimits>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** What a post did, beyond the activity id (for logs, tests and the demo's figures). */
export interface TeamsPostReport {
  id: string;
  conversationId: string;
  image: ImageChoice | null;
  /** Size of the POST body that was accepted. */
  bytes: number;
  /** Image steps refused with 413 before this one. */
  refused: ImageStep['path'][];
}

export interface TeamsDelivery extends TeamsSender {
  /** post() with the details of what was sent. */
  postWithReport(target: TeamsTarget, message: Message): Promise<TeamsPostReport>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createTeamsSender(deps: TeamsDeps): TeamsDelivery {
  const { config, log } = deps;
  const limits: TeamsLimits = { ...DEFAULT_TEAMS_LIMITS, ...deps.limits };
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? (() => new Date());
  const bot = BotConnection.fromConfig(config, log);
  const redact = (text: string): string => redactSecrets(text, [config.microsoft.appPassword]);

  /** Runs one connector request: refreshes the token once on 401, waits out 429/503 within the limits. */
  async function call<T>(request: () => Promise<T>): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        const status = connectorStatus(err);
        if (status === 401 && !refreshed) {
          // A cached token can be refused before it expires (revoked, or a restarted connector): get a fresh one once.
          refreshed = true;
          attempt--;
          log.warn({ status }, 'teams: the Bot Connector refused the cached token; getting a new one');
          await bot.refreshToken();
          continue;
        }
        if (status !== 429 && status !== 503) throw err;
        const decision = throttleDecision({ status, retryAfter: retryAfterOf(err), attempt, nowMs: now().getTime(), limits });
        if ('giveUp' in decision) throw new CourierError('DELIVERY_FAILED', decision.giveUp);
        log.warn({ status, attempt, waitMs: decision.retryInMs }, 'teams: throttled, waiting before retrying');
        await sleep(decision.retryInMs);
      }
    }
  }

  async function postWithReport(target: TeamsTarget, message: Message): Promise<TeamsPostReport> {
    assertServiceUrlAllowed(target.serviceUrl, config.teamsServiceUrls);
    const tenantId = target.tenantId ?? config.microsoft.tenantId ?? undefined;
    const paramsFor = (image: CardImage | null): ConversationParameters =>
      conversationParameters(target.channelId, tenantId, cardActivity(buildCard(message, image), message));

    const steps = ladderFor(message, (image) => {
      // Everything but the image's URL: the room left for a data: URI is the budget minus this.
      const withoutImage = byteLength(paramsFor({ url: '', altText: message.title }));
      return imageLadder({
        dataUriChars: dataUriLength(image.mime, image.data.length),
        room: limits.messageBudgetBytes - withoutImage,
        link: signedImageLink({ publicUrl: config.publicUrl, secret: config.artifactLinkSecret, ttlSeconds: config.artifactLinkTtlSeconds }, image.artifactPath, now()),
      });
    });

    const refused: ImageStep['path'][] = [];
    for (const [index, step] of steps.entries()) {
      const image = step && message.image ? await materializeStep(step, message.image) : null;
      if (step && !image) continue; // a JPEG that cannot fit: try the next step
      const params = paramsFor(image?.url ? { url: image.url, altText: message.title } : null);
      const bytes = byteLength(params);
      try {
        const conversationId = await call(() => bot.createConversation(target.serviceUrl, params));
        const id = activityIdOf(conversationId);
        log.info({ channelId: target.channelId, activityId: id, imagePath: image?.path ?? 'none', bytes, refused }, 'teams: posted');
        return { id, conversationId, image, bytes, refused };
      } catch (err) {
        const isLast = index === steps.length - 1;
        if (connectorStatus(err) === 413 && !isLast) {
          log.warn({ imagePath: step?.path, bytes }, 'teams: message too large (413); trying a smaller image');
          refused.push(step?.path ?? 'none');
          continue;
        }
        throw toDeliveryError(err, { serviceUrl: target.serviceUrl, authority: bot.authority, redact });
      }
    }
    // Unreachable: the ladder always ends with a step that throws or returns.
    throw new CourierError('DELIVERY_FAILED', 'Teams refused every size of this message');
  }

  return {
    postWithReport,
    async post(target, message) {
      const { id } = await postWithReport(target, message);
      return { id };
    },
    async listChannels(teamId: string, serviceUrl: string): Promise<TeamsChannelInfo[]> {
      assertServiceUrlAllowed(serviceUrl, config.teamsServiceUrls);
      try {
        const channels = await call(() => bot.fetchChannelList(serviceUrl, teamId));
        // Teams gives the General channel no name.
        return channels.map((c) => ({ id: c.id ?? '', name: c.name ?? 'General' }));
      } catch (err) {
        throw toDeliveryError(err, { serviceUrl, authority: bot.authority, redact });
      }
    },
    async checkToken(): Promise<void> {
      try {
        await bot.refreshToken();
      } catch (err) {
        throw toDeliveryError(err, { serviceUrl: null, authority: bot.authority, redact });
      }
    },
  };
}

/** The ladder of image steps, or a single "no image" step (null) for a message without one. */
function ladderFor(message: Message, plan: (image: NonNullable<Message['image']>) => ImageStep[]): (ImageStep | null)[] {
  return message.image ? plan(message.image) : [null];
}

/**
 * doctor: exchanges the app id and password for a token (no cache) and says
 * where from. Never throws.
 */
export async function checkTeams(config: Config, log?: Logger, timeoutMs = 20_000): Promise<{ ok: boolean; detail: string }> {
  if (!config.microsoft.appId || !config.microsoft.appPassword) {
    return { ok: false, detail: 'Teams is not configured: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD' };
  }
  const quiet = log ?? createLogger('silent');
  try {
    const sender = createTeamsSender({ config, log: quiet });
    let timer: NodeJS.Timeout | undefined;
    // Safe to abandon on timeout: a token request changes nothing anywhere.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CourierError('DELIVERY_FAILED', `no answer from ${authorityOf(config)} within ${Math.round(timeoutMs / 1000)} s: check MICROSOFT_LOGIN_URL and the network path to it`)), timeoutMs);
    });
    try {
      await Promise.race([sender.checkToken(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, detail: `token obtained from ${authorityOf(config)} for app ${config.microsoft.appId} (${config.microsoft.appType})` };
  } catch (err) {
    return { ok: false, detail: isCourierError(err) ? err.detail : redactSecrets(errorMessage(err), [config.microsoft.appPassword]) };
  }
}

/** MICROSOFT_LOGIN_URL/<tenant>: the app's tenant when single-tenant, botframework.com when multi-tenant. */
export function authorityOf(config: Config): string {
  const base = config.microsoft.loginUrl.toString().replace(/\/+$/, '');
  const tenant = config.microsoft.appType === 'SingleTenant' ? (config.microsoft.tenantId ?? MULTI_TENANT) : MULTI_TENANT;
  return `${base}/${tenant}`;
}

/**
 * The SDK objects for one bot identity. MSAL is pointed at MICROSOFT_LOGIN_URL
 * with knownAuthorities, which makes it trust that host instead of asking
 * Microsoft's instance discovery (unreachable from closed networks and from
 * tests); it then reads <authority>/v2.0/.well-known/openid-configuration
 * and posts to the token_endpoint found there.
 */
class BotConnection {
  private constructor(
    readonly appId: string,
    readonly authority: string,
    private readonly credentialsFactory: MsalServiceClientCredentialsFactory,
    private readonly adapter: CloudAdapter,
  ) {}

  static fromConfig(config: Config, log: Logger): BotConnection {
    const { appId, appPassword } = config.microsoft;
    if (!appId || !appPassword) {
      throw new CourierError('INVALID_JOB', 'Teams delivery is not configured: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD');
    }
    const authority = authorityOf(config);
    const msal = new ConfidentialClientApplication({
      auth: { clientId: appId, clientSecret: appPassword, authority, knownAuthorities: [config.microsoft.loginUrl.host] },
      system: {
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (_level, message) => log.debug({ msal: message }, 'teams: msal'),
        },
      },
    });
    const credentialsFactory = new MsalServiceClientCredentialsFactory(appId, msal);
    const adapter = new CloudAdapter(new BoundedRetryAuthentication({}, credentialsFactory));
    return new BotConnection(appId, authority, credentialsFactory, adapter);
  }

  /** POST <serviceUrl>/v3/conversations; returns the new conversation (thread) id. */
  async createConversation(serviceUrl: string, params: ConversationParameters): Promise<string> {
    let conversationId = '';
    await this.adapter.createConversationAsync(this.appId, 'msteams', serviceUrl, CONNECTOR_AUDIENCE, params, (context) => {
      conversationId = context.activity.conversation.id;
      return Promise.resolve();
    });
    return conversationId;
  }

  /** GET <serviceUrl>/v3/teams/<teamId>/conversations. */
  async fetchChannelList(serviceUrl: string, teamId: string): Promise<{ id?: string; name?: string | null }[]> {
    const client = withoutSdkRetries(new TeamsConnectorClient(await this.credentials(), { baseUri: serviceUrl }));
    const list = await client.teams.fetchChannelList(teamId);
    return list.conversations ?? [];
  }

  /** Asks MSAL for a new token (bypassing the cache) and stores it in the cache the connector clients read. */
  async refreshToken(): Promise<void> {
    const credentials = await this.credentials();
    if (!(credentials instanceof AppCredentials)) throw new Error('unexpected credentials type from botframework-connector');
    await credentials.getToken(true);
  }

  private credentials(): ReturnType<MsalServiceClientCredentialsFactory['createCredentials']> {
    return this.credentialsFactory.createCredentials(this.appId, CONNECTOR_AUDIENCE, AuthenticationConstants.ToChannelFromBotLoginUrl, true);
  }
}

/**
 * The SDK's HTTP pipeline retries 429/503 after any Retry-After, however
 * long, and 5xx three times. courier bounds waits itself (throttleDecision)
 * and leaves the rest to the job's retry, so connector clients are made
 * without that policy.
 */
class BoundedRetryAuthentication extends ConfigurationBotFrameworkAuthentication {
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    return { create: async (serviceUrl: string, audience?: string) => withoutSdkRetries(await inner.create(serviceUrl, audience)) };
  }
}

interface PipelineHolder {
  // botbuilder-stdlib's ServiceClientContext keeps its @azure/core-client ServiceClient in a private field.
  client?: { pipeline?: { removePolicy(options: { name: string }): unknown[] } };
}

function withoutSdkRetries<T extends ConnectorClient | TeamsConnectorClient>(client: T): T {
  const pipeline = (client as unknown as PipelineHolder).client?.pipeline;
  const removed = pipeline?.removePolicy({ name: 'defaultRetryPolicy' }) ?? [];
  if (removed.length === 0) {
    // Fail loudly rather than silently doubling retries if a future SDK changes its internals.
    throw new Error('botframework-connector changed: its HTTP pipeline has no defaultRetryPolicy to replace');
  }
  return client;
}

/** One new thread in a channel: Teams wants isGroup and the channel in channelData, and the tenant when known. */
export function conversationParameters(channelId: string, tenantId: string | undefined, activity: CardActivity): ConversationParameters {
  const params = {
    isGroup: true,
    channelData: { channel: { id: channelId }, ...(tenantId ? { tenant: { id: tenantId } } : {}) },
    ...(tenantId ? { tenantId } : {}),
    // The connector completes the activity (ids, timestamps, sender); these are the fields a bot sets.
    activity: activity as Partial<Activity> as Activity,
  };
  // `bot` is typed as required but the connector takes the bot from the token (botbuilder's own TeamsInfo omits it too).
  return params as ConversationParameters;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Teams answers a channel thread as "<channel id>;messageid=<activity id>". */
export function activityIdOf(conversationId: string): string {
  return /;messageid=([^;]+)/.exec(conversationId)?.[1] ?? conversationId;
}

export interface ThrottleInput {
  status: number;
  retryAfter: string | null;
  /** 1 for the first attempt. */
  attempt: number;
  nowMs: number;
  limits: Pick<TeamsLimits, 'maxAttempts' | 'maxRetryWaitMs'>;
}

/** Whether to wait and retry a 429/503, and how long; or why to stop. Pure. */
export function throttleDecision(input: ThrottleInput): { retryInMs: number } | { giveUp: string } {
  const { status, attempt, limits } = input;
  const what = status === 429 ? 'Teams is throttling the bot (HTTP 429 Too Many Requests)' : 'Teams is throttling or unavailable (HTTP 503 Service Unavailable)';
  const waitMs = parseRetryAfter(input.retryAfter, input.nowMs) ?? Math.min(1000 * 2 ** (attempt - 1), limits.maxRetryWaitMs);
  if (attempt >= limits.maxAttempts) {
    return { giveUp: `${what}, still after ${attempt} attempts; the job will be retried later` };
  }
  if (waitMs > limits.maxRetryWaitMs) {
    return {
      giveUp: `${what}: it asks to wait ${Math.ceil(waitMs / 1000)} s, longer than the ${Math.round(limits.maxRetryWaitMs / 1000)} s courier waits within a job; the job will be retried later`,
    };
  }
  return { retryInMs: waitMs };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/**
 * Replaces secrets and bearer tokens in a message. Defence in depth: no
 * message courier builds includes them. Secrets shorter than 6 characters are
 * not searched for, as replacing every "p" would garble the sentence.
 */
export function redactSecrets(text: string, secrets: (string | null | undefined)[]): string {
  let out = text.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]');
  for (const secret of secrets) {
    if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out;
}

// ---- errors -------------------------------------------------------------

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

interface MsalErrorLike {
  errorCode: string;
  errorMessage: string;
  status?: number;
}

/** The HTTP status a connector request failed with (RestError from @azure/core-rest-pipeline). */
function connectorStatus(err: unknown): number | undefined {
  const status = (err as RestErrorLike | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function retryAfterOf(err: unknown): string | null {
  return (err as RestErrorLike | null)?.response?.headers?.get('retry-after') ?? null;
}

function isMsalError(err: unknown): err is MsalErrorLike {
  return typeof (err as MsalErrorLike | null)?.errorCode === 'string' && typeof (err as MsalErrorLike | null)?.errorMessage === 'string';
}

/** The "Description:" part of an MSAL server error (the AADSTS sentence), without trace and correlation ids. */
function msalDescription(err: MsalErrorLike): string {
  const description = /Description:\s*(.*?)(?:\s+-\s+Correlation ID:|\s+-\s+Trace ID:|$)/s.exec(err.errorMessage)?.[1];
  return (description ?? err.errorMessage).trim();
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'REQUEST_SEND_ERROR']);

interface ErrorContext {
  serviceUrl: string | null;
  authority: string;
  redact: (text: string) => string;
}

/** Turns whatever the SDK threw into DELIVERY_FAILED with a sentence an operator can act on. */
export function toDeliveryError(err: unknown, ctx: ErrorContext): CourierError {
  if (isCourierError(err)) return err;
  return new CourierError('DELIVERY_FAILED', ctx.redact(describe(err, ctx)));
}

function describe(err: unknown, ctx: ErrorContext): string {
  const credentialsHint = 'check MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (the client secret\'s value, not its id, and not expired)';
  const tenancyHint = 'and MICROSOFT_APP_TYPE / MICROSOFT_APP_TENANT_ID (a single-tenant bot gets its token from its own tenant, a multi-tenant bot from botframework.com)';
  if (isMsalError(err)) {
    const description = msalDescription(err);
    if (err.errorCode === 'invalid_client' || err.status === 401 || err.status === 403) {
      return `Teams authentication failed: ${ctx.authority} refused the bot's app id and password (${err.errorCode}: ${description}); ${credentialsHint}`;
    }
    if (err.errorCode === 'unauthorized_client' || /AADSTS700016|AADSTS90002/.test(description)) {
      return `Teams authentication failed: ${ctx.authority} does not know this app id (${err.errorCode}: ${description}); check MICROSOFT_APP_ID ${tenancyHint}`;
    }
    return `cannot obtain a Teams token from ${ctx.authority} (${err.errorCode}: ${description}); check MICROSOFT_LOGIN_URL and that this host can reach it over https (DNS, firewall or proxy, a certificate Node trusts)`;
  }
  const where = ctx.serviceUrl ? `the Bot Connector at ${ctx.serviceUrl}` : 'the Bot Connector';
  const rest = err as RestErrorLike | null;
  const status = connectorStatus(err);
  const said = [rest?.code, rest?.message].filter((part): part is string => typeof part === 'string' && part.length > 0 && !/^\d+$/.test(part)).join(': ');
  switch (status) {
    case undefined: {
      const code = rest?.code ?? (err as { cause?: { code?: string } } | null)?.cause?.code;
      if (code && NETWORK_CODES.has(code)) return `cannot reach ${where} (${said || code}); check the service URL and the network path to it`;
      return `Teams delivery failed: ${errorMessage(err)}`;
    }
    case 401:
      return `Teams authentication failed: ${where} refused the bot's token (HTTP 401${said ? ` ${said}` : ''}) although ${ctx.authority} issued it; ${credentialsHint}, ${tenancyHint}`;
    case 403:
      return `Teams authentication failed: ${where} forbids this bot here (HTTP 403${said ? ` ${said}` : ''}); make sure the bot is installed in the team that owns the channel, that the tenant id is that team's, and that MICROSOFT_APP_TYPE / MICROSOFT_APP_TENANT_ID match the bot's registration`;
    case 404:
      return `Teams answered HTTP 404 (${said || 'not found'}) at ${where}: check the channel or team id and the service URL`;
    case 413:
      return `the message is too large for Teams (HTTP 413${said ? ` ${said}` : ''}) even without its image`;
    case 400:
      return `Teams refused the message (HTTP 400${said ? ` ${said}` : ''}): check the channel id ("19:…@thread.tacv2") and tenant id`;
    default:
      return `Teams answered HTTP ${status}${said ? ` (${said})` : ''} at ${where}`;
  }
}

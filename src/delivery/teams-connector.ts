// Every use of the Bot Framework SDK (botbuilder 4, botframework-connector)
// and MSAL is in this file and nowhere else. Microsoft has archived that SDK
// (its successor is the Microsoft 365 Agents SDK): replacing it means
// rewriting this file only.
//
//   - MSAL exchanges MICROSOFT_APP_ID + MICROSOFT_APP_PASSWORD for a token at
//     MICROSOFT_LOGIN_URL/<tenant> (OAuth 2.0 client credentials, scope
//     "<the cloud's Bot Connector audience>/.default"); botframework-connector
//     keeps it in its process-wide cache (AppCredentials.cache) until 5
//     minutes before it expires, so a busy worker asks for one about every hour;
//   - CloudAdapter.createConversationAsync starts a new thread in a channel
//     (POST <serviceUrl>/v3/conversations);
//   - TeamsConnectorClient lists a team's channels (GET <serviceUrl>/v3/teams/<id>/conversations).
// The SDK's own retry policy is removed: teams.ts retries as Teams documents.
import type * as MsalCjs from '@azure/msal-node' with { 'resolution-mode': 'require' };
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type ConversationParameters } from 'botbuilder';
import {
  AppCredentials,
  AuthenticationConstants,
  GovernmentConstants,
  MsalServiceClientCredentialsFactory,
  TeamsConnectorClient,
  type ClaimsIdentity,
  type ConnectorClient,
  type ConnectorFactory,
} from 'botframework-connector';
import type { Config } from '../config.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CardActivity } from './cards.js';
import { TEAMS_CLOUD_SETTINGS } from '../teams-clouds.js';

// MSAL ships a CommonJS and an ES module build. botframework-connector
// requires the CommonJS one; loading the same one here keeps a single copy of
// MSAL in the process (and the types botframework-connector expects).
const { ConfidentialClientApplication, LogLevel } = createRequire(import.meta.url)('@azure/msal-node') as typeof MsalCjs;

/** MICROSOFT_LOGIN_URL/<tenant>: the app's tenant when single-tenant, the cloud's bot directory when multi-tenant. */
export function authorityOf(config: Pick<Config, 'microsoft'>): string {
  const base = config.microsoft.loginUrl.toString().replace(/\/+$/, '');
  const multiTenant = TEAMS_CLOUD_SETTINGS[config.microsoft.cloud].multiTenantAuthority;
  const tenant = config.microsoft.appType === 'SingleTenant' ? (config.microsoft.tenantId ?? multiTenant) : multiTenant;
  return `${base}/${tenant}`;
}

/**
 * The SDK objects for one bot identity. MSAL is pointed at MICROSOFT_LOGIN_URL
 * with knownAuthorities, which makes it trust that host instead of asking
 * Microsoft's instance discovery (unreachable from closed networks and from
 * tests); it then reads <authority>/v2.0/.well-known/openid-configuration
 * and posts to the token_endpoint found there.
 */
export class BotConnection {
  private constructor(
    readonly appId: string,
    readonly authority: string,
    private readonly audience: string,
    private readonly loginEndpoint: string,
    private readonly credentialsFactory: MsalServiceClientCredentialsFactory,
    private readonly adapter: CloudAdapter,
  ) {}

  static fromConfig(config: Pick<Config, 'microsoft'>, log: Logger): BotConnection {
    const { appId, appPassword, cloud } = config.microsoft;
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
    const government = cloud === 'gcc-high' || cloud === 'dod';
    // The US Government clouds: the SDK's own switch for their connector audience and login prefix.
    const settings = government ? { ChannelService: GovernmentConstants.ChannelService } : {};
    const adapter = new CloudAdapter(new WithoutSdkRetries(settings, credentialsFactory));
    const loginEndpoint = government ? GovernmentConstants.ToChannelFromBotLoginUrl : AuthenticationConstants.ToChannelFromBotLoginUrl;
    return new BotConnection(appId, authority, TEAMS_CLOUD_SETTINGS[cloud].audience, loginEndpoint, credentialsFactory, adapter);
  }

  /** POST <serviceUrl>/v3/conversations; returns the new conversation (thread) id. `signal` ends the request wherever it is. */
  async createConversation(serviceUrl: string, params: ConversationParameters, signal?: AbortSignal): Promise<string> {
    let conversationId = '';
    await requestSignal.run(signal, () =>
      this.adapter.createConversationAsync(this.appId, 'msteams', serviceUrl, this.audience, params, (context) => {
        conversationId = context.activity.conversation.id;
        return Promise.resolve();
      }),
    );
    return conversationId;
  }

  /** GET <serviceUrl>/v3/teams/<teamId>/conversations. */
  async fetchChannelList(serviceUrl: string, teamId: string, signal?: AbortSignal): Promise<{ id?: string; name?: string | null }[]> {
    const client = withoutSdkRetries(new TeamsConnectorClient(await this.credentials(), { baseUri: serviceUrl }));
    const list = await requestSignal.run(signal, () => client.teams.fetchChannelList(teamId));
    return list.conversations ?? [];
  }

  /** Asks MSAL for a new token (bypassing the cache) and stores it in the cache the connector clients read. */
  async refreshToken(): Promise<void> {
    const credentials = await this.credentials();
    if (!(credentials instanceof AppCredentials)) throw new Error('unexpected credentials type from botframework-connector');
    await credentials.getToken(true);
  }

  private credentials(): ReturnType<MsalServiceClientCredentialsFactory['createCredentials']> {
    return this.credentialsFactory.createCredentials(this.appId, this.audience, this.loginEndpoint, true);
  }
}

/**
 * The SDK's HTTP pipeline retries 429/503 after any Retry-After, however
 * long, and 5xx three times without jitter. courier retries as Teams
 * documents, bounded by the job's deadline (teams-retry.ts), so connector
 * clients are made without that policy.
 */
class WithoutSdkRetries extends ConfigurationBotFrameworkAuthentication {
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    return { create: async (serviceUrl: string, audience?: string) => withoutSdkRetries(await inner.create(serviceUrl, audience)) };
  }
}

/**
 * The signal of the connector request being made, handed through the SDK
 * (whose calls take none) to the HTTP pipeline: the request's own abort
 * signal, so the exchange's bound (SEND_TIMEOUT_MS) ends the request itself.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal | undefined>();

interface PipelineRequestLike {
  abortSignal?: AbortSignal | { aborted: boolean; addEventListener: AbortSignal['addEventListener']; removeEventListener: AbortSignal['removeEventListener'] };
}

interface PipelineHolder {
  // botbuilder-stdlib's ServiceClientContext keeps its @azure/core-client ServiceClient in a private field.
  client?: {
    pipeline?: {
      removePolicy(options: { name: string }): unknown[];
      addPolicy(policy: { name: string; sendRequest(request: PipelineRequestLike, next: (request: PipelineRequestLike) => Promise<unknown>): Promise<unknown> }): void;
    };
  };
}

function withoutSdkRetries<T extends ConnectorClient | TeamsConnectorClient>(client: T): T {
  const pipeline = (client as unknown as PipelineHolder).client?.pipeline;
  const removed = pipeline?.removePolicy({ name: 'defaultRetryPolicy' }) ?? [];
  if (!pipeline || removed.length === 0) {
    // Fail loudly rather than silently doubling retries if a future SDK changes its internals.
    throw new Error('botframework-connector changed: its HTTP pipeline has no defaultRetryPolicy to replace');
  }
  pipeline.addPolicy({
    name: 'courierRequestSignal',
    sendRequest(request, next) {
      const signal = requestSignal.getStore();
      if (signal) request.abortSignal = request.abortSignal ? AbortSignal.any([signal, request.abortSignal as AbortSignal]) : signal;
      return next(request);
    },
  });
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

/** What a failed connector request said: a RestError from @azure/core-rest-pipeline. */
export interface ConnectorFailure {
  /** The HTTP status; undefined when no answer came (network, TLS, token). */
  status: number | undefined;
  retryAfterHeader: string | null;
  body: string | null;
}

interface RestErrorLike {
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

export function connectorFailure(err: unknown): ConnectorFailure {
  const rest = err as RestErrorLike | null;
  const status = rest?.statusCode;
  return {
    status: typeof status === 'number' ? status : undefined,
    retryAfterHeader: rest?.response?.headers?.get('retry-after') ?? null,
    body: rest?.response?.bodyAsText ?? null,
  };
}

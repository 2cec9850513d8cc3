// The shapes the Bot Connector stand-in (bot-connector.ts) takes and records.
import type { StandInLimits } from './teams-rules.js';

export interface BotApp {
  appId: string;
  password: string;
  /** The directory the app is registered in: tokens are issued at /<tenantId>/ (single-tenant), and at /botframework.com/ when multiTenant. */
  tenantId?: string;
  multiTenant?: boolean;
  /** Registered in Azure Government (GCC High, DoD): its tokens are for api.botframework.us. */
  government?: boolean;
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
  /** Bodies of POST v3/conversations above this many bytes get 413 MessageSizeTooBig (stricter than Teams, for tests of the 413 path). */
  maxPostBytes?: number;
  /** The limits enforced (default: Teams' own, TEAMS_LIMITS). */
  limits?: StandInLimits;
  /** Enforce Teams' per-thread rate with 429 (default true). */
  rateLimit?: boolean;
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

export interface IssuedToken {
  appId: string;
  expiresAt: number;
}

export interface FailOptions {
  times?: number;
  /** A retry time for 429/503 (seconds). */
  retryAfterSeconds?: number | null;
  /** Where the retry time goes: the Retry-After header (default) or the JSON body's message, as Teams sometimes does. */
  retryAfterIn?: 'header' | 'body';
  on?: 'post' | 'list' | 'any';
  /** Create the post, then answer with the failure (a 502/504 from Teams can come after the post was made). */
  afterPosting?: boolean;
}

export interface ForcedFailure extends Required<Omit<FailOptions, 'times'>> {
  status: number;
  remaining: number;
}

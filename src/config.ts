// Environment → one typed, validated Config (CONTRACT §2).
// Every variable is checked once at start; all wrong values are reported
// together in one ConfigError so an operator fixes them in one go.
import { hostname } from 'node:os';
import { z } from 'zod';
import { TEAMS_CLOUD_SETTINGS, TEAMS_CLOUDS, type TeamsCloud } from './delivery/teams-clouds.js';
import { secretWeakness } from './secret-strength.js';
import { clusterPrefixProblem, parseRedisUrl, redactRedisUrl } from './queue/redis-url.js';

export type AppType = 'SingleTenant' | 'MultiTenant';

export interface Config {
  redisUrl: string;
  queuePrefix: string;
  /** Base URL of the Toucan frontend; null when not configured (render of an absolute URL still works). */
  frontendUrl: URL | null;
  backendUrl: URL | null;
  /** Extra origins (scheme://host:port) a story page may load from. */
  allowedOrigins: string[];
  selector: string;
  busySelector: string;
  selectorTimeoutMs: number;
  jobTimeoutMs: number;
  concurrency: number;
  /** Explicit Chromium executable; undefined means auto-detect at launch. */
  chromiumPath: string | undefined;
  /** Pages a browser serves before it is replaced by a fresh one. */
  browserRecycleAfter: number;
  artifactsDir: string;
  artifactsTtlDays: number;
  publicUrl: URL | null;
  artifactLinkSecret: string | null;
  /** How long a signed artifact link stays valid; the linked file is kept at least that long. */
  artifactLinkTtlSeconds: number;
  httpPort: number;
  smtpUrl: string | null;
  mailFrom: string | null;
  mailMaxAttachmentBytes: number;
  recipientDomains: string[];
  microsoft: {
    appId: string | null;
    appPassword: string | null;
    tenantId: string | null;
    appType: AppType;
    /** MICROSOFT_CLOUD: picks the token audience and the defaults of loginUrl and teamsServiceUrls. */
    cloud: TeamsCloud;
    loginUrl: URL;
  };
  teamsServiceUrls: string[];
  logLevel: string;
  /** `auto`: Chromium's sandbox on unless the worker runs as root; `off`: the operator's explicit opt-out (warned at start). */
  chromiumSandbox: 'auto' | 'off';
  /** Bearer token /metrics asks for; null leaves it open (cluster-internal). */
  metricsToken: string | null;
  /** Bytes of the frontend's public, immutable files kept for all jobs; 0 turns the shared cache off. */
  assetCacheBytes: number;
  /** How long finished jobs stay in Redis (for jobs that do not say; BullMQ's removeOnComplete/removeOnFail), in seconds. */
  keepCompletedJobsSeconds: number;
  keepFailedJobsSeconds: number;
  /** This worker's name in metrics (the `worker` label): POD_NAME, else the host name. */
  podName: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each variable: its default (as the string an operator would write) and what it expects. */
const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
});
const smtpUrl = z.string().refine((s) => /^smtps?:\/\/.+/.test(s));
const csv = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

interface Rule {
  schema: z.ZodType;
  expects: string;
}

const RULES: Record<string, Rule> = {
  QUEUE_PREFIX: { schema: z.string().regex(/^[A-Za-z0-9_{}.-]+$/), expects: 'letters, digits, _ . - and {} (e.g. courier or {courier})' },
  FRONTEND_URL: { schema: httpUrl, expects: 'an http(s) URL such as https://toucan.example.com' },
  BACKEND_URL: { schema: httpUrl, expects: 'an http(s) URL such as https://api.toucan.example.com' },
  FRONTEND_DNS: { schema: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/), expects: 'a host name (optionally :port)' },
  BACKEND_DNS: { schema: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/), expects: 'a host name (optionally :port)' },
  SELECTOR_TIMEOUT_MS: { schema: intIn(100, 3_600_000), expects: 'milliseconds, a whole number from 100' },
  JOB_TIMEOUT_MS: { schema: intIn(1000, 24 * 3_600_000), expects: 'milliseconds, a whole number from 1000' },
  CONCURRENCY: { schema: intIn(1, 64), expects: 'a whole number from 1 to 64' },
  BROWSER_RECYCLE_AFTER: { schema: intIn(1, 1_000_000), expects: 'a whole number of pages from 1' },
  ARTIFACTS_TTL_DAYS: { schema: z.coerce.number().min(0), expects: 'a number of days, 0 or more' },
  ARTIFACT_LINK_TTL_SECONDS: { schema: intIn(60, 365 * 86400), expects: 'seconds, from 60 to a year' },
  PUBLIC_URL: { schema: httpUrl, expects: 'an http(s) URL' },
  HTTP_PORT: { schema: intIn(0, 65535), expects: 'a port number from 0 (off) to 65535' },
  SMTP_URL: { schema: smtpUrl, expects: 'smtp://user:pass@host:587 or smtps://user:pass@host:465' },
  MAIL_FROM: { schema: z.string().min(3), expects: 'a sender address such as "Toucan <reports@corp.com>"' },
  MAIL_MAX_ATTACHMENT_BYTES: { schema: intIn(1, 1 << 30), expects: 'a number of bytes from 1' },
  MICROSOFT_APP_TYPE: { schema: z.enum(['SingleTenant', 'MultiTenant']), expects: 'SingleTenant or MultiTenant' },
  MICROSOFT_CLOUD: { schema: z.enum(TEAMS_CLOUDS), expects: TEAMS_CLOUDS.join(', ') },
  MICROSOFT_LOGIN_URL: { schema: httpUrl, expects: 'an http(s) URL' },
  LOG_LEVEL: { schema: z.enum(LOG_LEVELS), expects: LOG_LEVELS.join(', ') },
  CHROMIUM_SANDBOX: { schema: z.enum(['auto', 'off']), expects: 'auto (on unless the worker runs as root) or off' },
  METRICS_TOKEN: { schema: z.string().min(16), expects: 'at least 16 characters' },
  ASSET_CACHE_MB: { schema: z.coerce.number().min(0).max(64 * 1024), expects: 'megabytes, from 0 (off)' },
  JOBS_KEEP_COMPLETED_DAYS: { schema: z.coerce.number().min(0).max(3650), expects: 'a number of days, 0 or more' },
  JOBS_KEEP_FAILED_DAYS: { schema: z.coerce.number().min(0).max(3650), expects: 'a number of days, 0 or more' },
};

export const DEFAULTS = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: 'courier',
  SELECTOR: '.tc-slide__content, .tc-story',
  BUSY_SELECTOR: '[aria-busy="true"]',
  SELECTOR_TIMEOUT_MS: '30000',
  JOB_TIMEOUT_MS: '120000',
  CONCURRENCY: '2',
  BROWSER_RECYCLE_AFTER: '200',
  ARTIFACTS_DIR: './artifacts',
  ARTIFACTS_TTL_DAYS: '7',
  // 90 days: a channel post or an email stays forever, and a reader of a
  // months-old post should still be able to open its report.
  ARTIFACT_LINK_TTL_SECONDS: String(90 * 86400),
  HTTP_PORT: '9464',
  MAIL_MAX_ATTACHMENT_BYTES: '10485760',
  MICROSOFT_CLOUD: 'public',
  // The defaults of the public cloud; MICROSOFT_CLOUD picks another cloud's (teams-clouds.ts).
  MICROSOFT_LOGIN_URL: TEAMS_CLOUD_SETTINGS.public.loginUrl,
  TEAMS_SERVICE_URLS: TEAMS_CLOUD_SETTINGS.public.serviceUrlPrefix,
  LOG_LEVEL: 'info',
  CHROMIUM_SANDBOX: 'auto',
  ASSET_CACHE_MB: '256',
  JOBS_KEEP_COMPLETED_DAYS: '7',
  JOBS_KEEP_FAILED_DAYS: '30',
} as const;

/** Names of the variables that hold secrets; their values never reach logs or error messages. */
export const SECRET_VARIABLES = ['MICROSOFT_APP_PASSWORD', 'ARTIFACT_LINK_SECRET', 'SMTP_URL', 'METRICS_TOKEN'] as const;

export interface LoadOptions {
  /** Variables the calling command cannot work without (e.g. the worker needs FRONTEND_URL). */
  require?: ('FRONTEND_URL' | 'BACKEND_URL')[];
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const withDefault = (name: keyof typeof DEFAULTS): string => value(name) ?? DEFAULTS[name];
  /** Parses one variable with its rule; on failure records the problem (never echoing a secret). */
  const parse = <T>(name: string, raw: string | undefined): T | undefined => {
    if (raw === undefined) return undefined;
    const rule = RULES[name];
    if (!rule) return raw as T;
    const result = rule.schema.safeParse(raw);
    if (result.success) return result.data as T;
    // A URL keeps its shape but never its password (REDIS_URL, …).
    const shown = (SECRET_VARIABLES as readonly string[]).includes(name) ? '(hidden)' : JSON.stringify(redactCredentialsIn(raw));
    problems.push(`${name}=${shown}: expected ${rule.expects}`);
    return undefined;
  };

  const stackUrl = (urlVar: 'FRONTEND_URL' | 'BACKEND_URL', dnsVar: 'FRONTEND_DNS' | 'BACKEND_DNS'): URL | null => {
    const url = parse<string>(urlVar, value(urlVar));
    const dns = parse<string>(dnsVar, value(dnsVar));
    if (url !== undefined && dns !== undefined && new URL(url).host !== dns) {
      problems.push(`${urlVar} and ${dnsVar} disagree (${new URL(url).host} vs ${dns}): set only one`);
    }
    const chosen = url ?? (dns !== undefined ? `https://${dns}` : undefined);
    if (chosen === undefined) {
      if (options.require?.includes(urlVar) && value(urlVar) === undefined) {
        problems.push(`${urlVar} is required for this command: the base URL of the Toucan ${urlVar === 'FRONTEND_URL' ? 'frontend' : 'backend'} (or ${dnsVar}=host)`);
      }
      return null;
    }
    return new URL(chosen);
  };

  // REDIS_URL: every problem named, the password never shown; a Cluster needs a hash-tagged prefix.
  const redisUrl = withDefault('REDIS_URL');
  const queuePrefix = parse<string>('QUEUE_PREFIX', withDefault('QUEUE_PREFIX')) ?? DEFAULTS.QUEUE_PREFIX;
  const redis = parseRedisUrl(redisUrl);
  if (!redis.ok) problems.push(`REDIS_URL=${JSON.stringify(redactRedisUrl(redisUrl))}: ${redis.problems.join('; ')}`);
  const prefixProblem = redis.ok ? clusterPrefixProblem(redis.target, queuePrefix) : null;
  if (prefixProblem) problems.push(prefixProblem);

  const frontendUrl = stackUrl('FRONTEND_URL', 'FRONTEND_DNS');
  const backendUrl = stackUrl('BACKEND_URL', 'BACKEND_DNS');

  const allowedOrigins: string[] = [];
  for (const entry of csv(value('ALLOWED_ORIGINS'))) {
    try {
      const u = new URL(entry);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      allowedOrigins.push(u.origin);
    } catch {
      problems.push(`ALLOWED_ORIGINS entry ${JSON.stringify(entry)}: expected an http(s) origin such as https://cdn.example.com`);
    }
  }

  const cloud = parse<TeamsCloud>('MICROSOFT_CLOUD', value('MICROSOFT_CLOUD')?.toLowerCase()) ?? 'public';
  const cloudSettings = TEAMS_CLOUD_SETTINGS[cloud];

  const teamsServiceUrls: string[] = [];
  for (const entry of csv(value('TEAMS_SERVICE_URLS') ?? cloudSettings.serviceUrlPrefix)) {
    if (!httpUrl.safeParse(entry).success) {
      problems.push(`TEAMS_SERVICE_URLS entry ${JSON.stringify(entry)}: expected an http(s) URL prefix such as https://smba.trafficmanager.net/`);
    } else {
      // new URL() turns a bare origin into "https://host/", so a prefix can never match "https://host.evil.com".
      teamsServiceUrls.push(new URL(entry).toString());
    }
  }

  const recipientDomains = csv(value('RECIPIENT_DOMAINS')).map((d) => d.toLowerCase().replace(/^@/, ''));
  for (const d of recipientDomains) {
    if (!/^[a-z0-9.-]+\.[a-z0-9-]+$|^[a-z0-9-]+$/.test(d)) problems.push(`RECIPIENT_DOMAINS entry ${JSON.stringify(d)}: expected a domain such as corp.com`);
  }

  const publicUrl = parse<string>('PUBLIC_URL', value('PUBLIC_URL'));
  const artifactLinkSecret = value('ARTIFACT_LINK_SECRET') ?? null;
  if (publicUrl !== undefined && artifactLinkSecret === null) {
    problems.push('ARTIFACT_LINK_SECRET is required with PUBLIC_URL: the HMAC key that signs artifact links');
  }
  const weakness = artifactLinkSecret !== null ? secretWeakness(artifactLinkSecret) : null;
  if (weakness !== null) {
    problems.push(`ARTIFACT_LINK_SECRET=(hidden): guessable, ${weakness}; make one with \`openssl rand -hex 32\``);
  }

  const smtp = parse<string>('SMTP_URL', value('SMTP_URL'));
  const mailFrom = parse<string>('MAIL_FROM', value('MAIL_FROM'));
  if (smtp !== undefined && mailFrom === undefined && value('MAIL_FROM') === undefined) {
    problems.push('MAIL_FROM is required with SMTP_URL: the sender address of every email');
  }

  const appId = value('MICROSOFT_APP_ID') ?? null;
  const appPassword = value('MICROSOFT_APP_PASSWORD') ?? null;
  const tenantId = value('MICROSOFT_APP_TENANT_ID') ?? null;
  const appType = parse<AppType>('MICROSOFT_APP_TYPE', value('MICROSOFT_APP_TYPE')) ?? (tenantId ? 'SingleTenant' : 'MultiTenant');
  if (appId !== null && appPassword === null) {
    problems.push('MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID: the bot\'s client secret');
  }
  if (appType === 'SingleTenant' && tenantId === null && appId !== null) {
    problems.push('MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE=SingleTenant');
  }

  const config: Config = {
    redisUrl,
    queuePrefix,
    frontendUrl,
    backendUrl,
    allowedOrigins,
    selector: withDefault('SELECTOR'),
    busySelector: withDefault('BUSY_SELECTOR'),
    selectorTimeoutMs: parse<number>('SELECTOR_TIMEOUT_MS', withDefault('SELECTOR_TIMEOUT_MS')) ?? 30000,
    jobTimeoutMs: parse<number>('JOB_TIMEOUT_MS', withDefault('JOB_TIMEOUT_MS')) ?? 120000,
    concurrency: parse<number>('CONCURRENCY', withDefault('CONCURRENCY')) ?? 2,
    chromiumPath: value('CHROMIUM_PATH'),
    browserRecycleAfter: parse<number>('BROWSER_RECYCLE_AFTER', withDefault('BROWSER_RECYCLE_AFTER')) ?? 200,
    artifactsDir: withDefault('ARTIFACTS_DIR'),
    artifactsTtlDays: parse<number>('ARTIFACTS_TTL_DAYS', withDefault('ARTIFACTS_TTL_DAYS')) ?? 7,
    publicUrl: publicUrl !== undefined ? new URL(publicUrl) : null,
    artifactLinkSecret,
    artifactLinkTtlSeconds: parse<number>('ARTIFACT_LINK_TTL_SECONDS', withDefault('ARTIFACT_LINK_TTL_SECONDS')) ?? Number(DEFAULTS.ARTIFACT_LINK_TTL_SECONDS),
    httpPort: parse<number>('HTTP_PORT', withDefault('HTTP_PORT')) ?? 9464,
    smtpUrl: smtp ?? null,
    mailFrom: mailFrom ?? null,
    mailMaxAttachmentBytes: parse<number>('MAIL_MAX_ATTACHMENT_BYTES', withDefault('MAIL_MAX_ATTACHMENT_BYTES')) ?? 10485760,
    recipientDomains,
    microsoft: {
      appId,
      appPassword,
      tenantId,
      appType,
      cloud,
      loginUrl: new URL(parse<string>('MICROSOFT_LOGIN_URL', value('MICROSOFT_LOGIN_URL') ?? cloudSettings.loginUrl) ?? cloudSettings.loginUrl),
    },
    teamsServiceUrls,
    logLevel: parse<string>('LOG_LEVEL', withDefault('LOG_LEVEL')) ?? 'info',
    chromiumSandbox: parse<'auto' | 'off'>('CHROMIUM_SANDBOX', withDefault('CHROMIUM_SANDBOX')) ?? 'auto',
    metricsToken: parse<string>('METRICS_TOKEN', value('METRICS_TOKEN')) ?? null,
    assetCacheBytes: Math.round((parse<number>('ASSET_CACHE_MB', withDefault('ASSET_CACHE_MB')) ?? 256) * 1024 * 1024),
    keepCompletedJobsSeconds: Math.round((parse<number>('JOBS_KEEP_COMPLETED_DAYS', withDefault('JOBS_KEEP_COMPLETED_DAYS')) ?? 7) * 86400),
    keepFailedJobsSeconds: Math.round((parse<number>('JOBS_KEEP_FAILED_DAYS', withDefault('JOBS_KEEP_FAILED_DAYS')) ?? 30) * 86400),
    podName: value('POD_NAME') ?? hostname(),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Any URL inside a value shown to people, with its password replaced (`redis://:***@host`). */
export function redactCredentialsIn(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi, (_, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/** The SMTP URL with its password replaced, for logs and doctor output. */
export function redactUrlCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

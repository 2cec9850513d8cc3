// Environment → one typed, validated Config (CONTRACT §2).
// Every variable is checked once at start; all wrong values are reported
// together in one ConfigError so an operator fixes them in one go.
import { hostname } from 'node:os';
import { z } from 'zod';
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
  /** How long a signed artifact link stays valid. */
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
    loginUrl: URL;
  };
  teamsServiceUrls: string[];
  logLevel: string;
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
  MICROSOFT_LOGIN_URL: { schema: httpUrl, expects: 'an http(s) URL' },
  LOG_LEVEL: { schema: z.enum(LOG_LEVELS), expects: LOG_LEVELS.join(', ') },
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
  ARTIFACT_LINK_TTL_SECONDS: String(7 * 86400),
  HTTP_PORT: '9464',
  MAIL_MAX_ATTACHMENT_BYTES: '10485760',
  MICROSOFT_LOGIN_URL: 'https://login.microsoftonline.com',
  TEAMS_SERVICE_URLS: 'https://smba.trafficmanager.net/',
  LOG_LEVEL: 'info',
} as const;

/** Names of the variables that hold secrets; their values never reach logs or error messages. */
export const SECRET_VARIABLES = ['MICROSOFT_APP_PASSWORD', 'ARTIFACT_LINK_SECRET', 'SMTP_URL'] as const;

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
    const shown = (SECRET_VARIABLES as readonly string[]).includes(name) ? '(hidden)' : JSON.stringify(raw);
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

  const teamsServiceUrls: string[] = [];
  for (const entry of csv(withDefault('TEAMS_SERVICE_URLS'))) {
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
  if (artifactLinkSecret !== null && artifactLinkSecret.length < 16) {
    problems.push('ARTIFACT_LINK_SECRET=(hidden): expected at least 16 characters');
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
    artifactLinkTtlSeconds: parse<number>('ARTIFACT_LINK_TTL_SECONDS', withDefault('ARTIFACT_LINK_TTL_SECONDS')) ?? 7 * 86400,
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
      loginUrl: new URL(parse<string>('MICROSOFT_LOGIN_URL', withDefault('MICROSOFT_LOGIN_URL')) ?? DEFAULTS.MICROSOFT_LOGIN_URL),
    },
    teamsServiceUrls,
    logLevel: parse<string>('LOG_LEVEL', withDefault('LOG_LEVEL')) ?? 'info',
    podName: value('POD_NAME') ?? hostname(),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
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

// Every environment variable of courier, declared once (CONTRACT §2 and
// courier's own additions): its name, where its value goes in Config, how
// it is parsed and checked, its default, and the line the README shows.
// config.ts derives the Config type and loads it from here; `npm run
// config-table` writes README.md's configuration table from here (a unit
// test fails when the two drift). A new setting is one entry below.
import { hostname } from 'node:os';
import { z } from 'zod';
import { TEAMS_CLOUD_SETTINGS, TEAMS_CLOUDS, type TeamsCloud } from './teams-clouds.js';
import { secretWeakness } from './secret-strength.js';
import { parseRedisUrl, redactRedisUrl } from './redis/redis-url.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** How one variable's text becomes its value. `shown` is the raw value as an error may show it (hidden for a secret). */
export interface VarType<T> {
  parse(raw: string, name: string, shown: string): Parsed<T>;
}

/** The raw environment, trimmed, empty values as undefined (for defaults that depend on another variable). */
export type RawEnv = (name: string) => string | undefined;

export interface Declaration<T> {
  /** Where the value goes in Config: a field, `group.field` inside a group, or null for another spelling of a variable (FRONTEND_DNS). */
  field: string | null;
  type: VarType<T>;
  /** The default as an operator would write it, or computed from other variables; without one an unset variable is null. */
  default?: string | ((raw: RawEnv) => string);
  /** How the README shows the default when it is not the literal `default`. */
  shownDefault?: string;
  /** The README's meaning column (Markdown). */
  doc: string;
  /** Its value never reaches logs or error messages. */
  secret?: boolean;
  /** A variable that cannot work without this one: `<this> is required with <variable>: <what>`. */
  requiredWith?: { variable: string; what: string };
  /** Not a row of its own in the README table (documented in another row). */
  inTable?: false;
}

// ---------------------------------------------------------------------------
// Types of values

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const expected = (name: string, shown: string, what: string): Parsed<never> => ({ ok: false, problems: [`${name}=${shown}: expected ${what}`] });

/** A zod schema over the text, and what it expects in words. */
function checked<T>(schema: z.ZodType<T>, expects: string): VarType<T> {
  return {
    parse(raw, name, shown) {
      const result = schema.safeParse(raw);
      return result.success ? ok(result.data) : expected(name, shown, expects);
    },
  };
}

/** A secret that keys signatures or opens the console: refused when guessable (secret-strength.ts). */
function strongSecret(howToMake: string): VarType<string> {
  return {
    parse(raw: string, name: string): Parsed<string> {
      const weakness = secretWeakness(raw);
      return weakness === null ? ok(raw) : { ok: false, problems: [`${name}=(hidden): guessable, ${weakness}; make one with ${howToMake}`] };
    },
  };
}

const isHttpUrl = (s: string): boolean => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};
const text: VarType<string> = { parse: (raw) => ok(raw) };
const wholeNumber = (min: number, max: number, expects: string) => checked(z.coerce.number().int().min(min).max(max), expects);
const httpUrl = (expects = 'an http(s) URL'): VarType<URL> => ({ parse: (raw, name, shown) => (isHttpUrl(raw) ? ok(new URL(raw)) : expected(name, shown, expects)) });
const hostName = checked(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/), 'a host name (optionally :port)');
const daysAsSeconds = checked(z.coerce.number().min(0).max(3650).transform((days) => Math.round(days * 86400)), 'a number of days, 0 or more');

/** Comma separated; each entry checked on its own and named when wrong. */
function list<T>(entry: (item: string) => T | null, expects: string): VarType<T[]> {
  return {
    parse(raw, name) {
      const values: T[] = [];
      const problems: string[] = [];
      for (const item of raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0)) {
        const value = entry(item);
        if (value === null) problems.push(`${name} entry ${JSON.stringify(item)}: expected ${expects}`);
        else values.push(value);
      }
      return problems.length > 0 ? { ok: false, problems } : ok(values);
    },
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type AppType = 'SingleTenant' | 'MultiTenant';

/** The Teams cloud a raw MICROSOFT_CLOUD names; an unknown one falls back to public (its own problem is reported). */
function cloudOf(raw: RawEnv): TeamsCloud {
  const named = raw('MICROSOFT_CLOUD')?.toLowerCase();
  return (TEAMS_CLOUDS as readonly string[]).includes(named ?? '') ? (named as TeamsCloud) : 'public';
}

/** A declaration, its literal types kept (the Config type is derived from them). */
const variable = <const D extends Declaration<unknown>>(d: D): D => d;

// ---------------------------------------------------------------------------
// The variables, in the README's order

export const VARIABLES = {
  REDIS_URL: variable({
    field: 'redisUrl',
    type: {
      parse(raw: string, name: string): Parsed<string> {
        const parsed = parseRedisUrl(raw);
        return parsed.ok ? ok(raw) : { ok: false, problems: [`${name}=${JSON.stringify(redactRedisUrl(raw))}: ${parsed.problems.join('; ')}`] };
      },
    },
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis (or Valkey) for queues and state: one node `redis://[user:pass@]host:port[/db]` (`rediss://` with TLS), Sentinel `redis-sentinel://[user:pass@]host:port[,host:port…][/db]#masterName`, Cluster `redis-cluster://[user:pass@]host:port[,host:port…]` (`rediss-cluster://` with TLS); see [Redis in production](docs/operations.md#redis-in-production)',
  }),
  QUEUE_PREFIX: variable({
    field: 'queuePrefix',
    type: checked(z.string().regex(/^[A-Za-z0-9_{}.-]+$/), 'letters, digits, _ . - and {} (e.g. courier or {courier})'),
    default: 'courier',
    doc: 'BullMQ key prefix; on Redis Cluster it must have a hash tag, `{courier}` (refused at start otherwise)',
  }),
  FRONTEND_URL: variable({
    field: 'frontendUrl',
    type: httpUrl('an http(s) URL such as https://toucan.example.com'),
    shownDefault: '—',
    doc: 'base URL of the Toucan frontend; `FRONTEND_DNS=host` is short for `https://host`',
  }),
  FRONTEND_DNS: variable({ field: null, type: hostName, inTable: false, doc: 'short for FRONTEND_URL=https://host' }),
  BACKEND_URL: variable({
    field: 'backendUrl',
    type: httpUrl('an http(s) URL such as https://api.toucan.example.com'),
    shownDefault: '—',
    doc: 'base URL of the Toucan backend API; `BACKEND_DNS=host` is short for `https://host`',
  }),
  BACKEND_DNS: variable({ field: null, type: hostName, inTable: false, doc: 'short for BACKEND_URL=https://host' }),
  ALLOWED_ORIGINS: variable({
    field: 'allowedOrigins',
    type: list((entry) => (isHttpUrl(entry) ? new URL(entry).origin : null), 'an http(s) origin such as https://cdn.example.com'),
    default: '',
    shownDefault: 'empty',
    doc: 'extra origins a story page may load from (CDN, fonts), comma separated',
  }),
  SELECTOR: variable({ field: 'selector', type: text, default: '.tc-slide__content, .tc-story', doc: 'default element to wait for and capture' }),
  BUSY_SELECTOR: variable({ field: 'busySelector', type: text, default: '[aria-busy="true"]', doc: 'while an element matching it is visible, the story is still loading' }),
  IGNORE_SELECTOR: variable({
    field: 'ignoreSelector',
    type: text,
    default: '',
    shownDefault: 'empty',
    doc: "elements whose endless motion never counts as loading (decoration: a ticker, a live badge), a CSS selector list; a job's `ignore` adds to it ([Rendering](docs/rendering.md#decoration-is-not-a-loader))",
  }),
  SELECTOR_TIMEOUT_MS: variable({
    field: 'selectorTimeoutMs',
    type: wholeNumber(100, 3_600_000, 'milliseconds, a whole number from 100'),
    default: '30000',
    doc: 'default time for a story to become ready',
  }),
  JOB_TIMEOUT_MS: variable({
    field: 'jobTimeoutMs',
    type: wholeNumber(1000, 24 * 3_600_000, 'milliseconds, a whole number from 1000'),
    default: '120000',
    doc: 'hard deadline for one job, render and delivery included',
  }),
  SEND_TIMEOUT_MS: variable({
    field: 'sendTimeoutMs',
    type: wholeNumber(1000, 3_600_000, 'milliseconds, a whole number from 1000'),
    default: '60000',
    doc: 'the longest one send may wait for its answer (an SMTP transaction, one Bot Connector request); a send still on the wire when JOB_TIMEOUT_MS passes gets up to this long to finish and write its receipt before the attempt ends, and a retry waits as long before sending to the same recipient ([Exactly once](docs/jobs.md#exactly-once))',
  }),
  CONCURRENCY: variable({ field: 'concurrency', type: wholeNumber(1, 64, 'a whole number from 1 to 64'), default: '2', doc: 'pages rendered at once by one worker process' }),
  CHROMIUM_PATH: variable({
    field: 'chromiumPath',
    type: text,
    shownDefault: 'auto-detected',
    doc: 'the Chromium or Chrome executable; by default the headless shell `/usr/lib/chromium/chromium-headless-shell` (no browser UI: less CPU per job), else `/usr/bin/chromium`, `chromium-browser`, `google-chrome-stable`, …. A name with `headless-shell` in it is started as a headless shell',
  }),
  BROWSER_RECYCLE_AFTER: variable({
    field: 'browserRecycleAfter',
    type: wholeNumber(1, 1_000_000, 'a whole number of pages from 1'),
    default: '200',
    doc: 'pages a browser serves before it is replaced by a fresh one',
  }),
  ARTIFACTS_DIR: variable({ field: 'artifactsDir', type: text, default: './artifacts', doc: 'where rendered files are kept' }),
  ARTIFACTS_TTL_DAYS: variable({
    field: 'artifactsTtlDays',
    type: checked(z.coerce.number().min(0), 'a number of days, 0 or more'),
    default: '7',
    doc: 'rendered files older than this are deleted (`0` keeps them), except files a signed link still points to',
  }),
  PUBLIC_URL: variable({ field: 'publicUrl', type: httpUrl(), shownDefault: 'empty', doc: "external base URL of this worker's HTTP port; enables signed artifact links" }),
  ARTIFACT_LINK_SECRET: variable({
    field: 'artifactLinkSecret',
    type: {
      parse(raw: string, name: string): Parsed<string> {
        const weakness = secretWeakness(raw);
        return weakness === null ? ok(raw) : { ok: false, problems: [`${name}=(hidden): guessable, ${weakness}; make one with \`openssl rand -hex 32\``] };
      },
    },
    secret: true,
    requiredWith: { variable: 'PUBLIC_URL', what: 'the HMAC key that signs artifact links' },
    shownDefault: '—',
    doc: 'HMAC key for signed artifact links (required with `PUBLIC_URL`); at least 32 random bytes\' worth (`openssl rand -hex 32`): a guessable one (short, one repeated character, a repeated pattern, a run such as `abcd…`, common words) is refused',
  }),
  ARTIFACT_LINK_TTL_SECONDS: variable({
    field: 'artifactLinkTtlSeconds',
    type: wholeNumber(60, 365 * 86400, 'seconds, from 60 to a year'),
    // 90 days: a channel post or an email stays forever, and a reader of a
    // months-old post should still be able to open its report.
    default: String(90 * 86400),
    doc: 'how long a signed link stays valid (90 days); a linked file is kept at least that long, whatever `ARTIFACTS_TTL_DAYS` says',
  }),
  HTTP_PORT: variable({ field: 'httpPort', type: wholeNumber(0, 65535, 'a port number from 0 (off) to 65535'), default: '9464', doc: 'health, metrics and signed artifact links; `0` turns the server off' }),
  SMTP_URL: variable({
    field: 'smtpUrl',
    type: checked(z.string().regex(/^smtps?:\/\/.+/), 'smtp://user:pass@host:587 or smtps://user:pass@host:465'),
    secret: true,
    shownDefault: 'empty (email off)',
    doc: '`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`',
  }),
  MAIL_FROM: variable({
    field: 'mailFrom',
    type: checked(z.string().min(3), 'a sender address such as "Toucan <reports@corp.com>"'),
    requiredWith: { variable: 'SMTP_URL', what: 'the sender address of every email' },
    shownDefault: '—',
    doc: 'sender address (required with `SMTP_URL`)',
  }),
  MAIL_MAX_ATTACHMENT_BYTES: variable({
    field: 'mailMaxAttachmentBytes',
    type: wholeNumber(1, 1 << 30, 'a number of bytes from 1'),
    default: '10485760',
    doc: 'above this (encoded size), a link replaces the attachment',
  }),
  RECIPIENT_DOMAINS: variable({
    field: 'recipientDomains',
    type: list((entry) => {
      const domain = entry.toLowerCase().replace(/^@/, '');
      return /^[a-z0-9.-]+\.[a-z0-9-]+$|^[a-z0-9-]+$/.test(domain) ? domain : null;
    }, 'a domain such as corp.com'),
    default: '',
    shownDefault: 'empty (any)',
    doc: 'allowed email recipient domains, comma separated',
  }),
  MICROSOFT_APP_ID: variable({ field: 'microsoft.appId', type: text, shownDefault: 'empty (Teams off)', doc: "the bot's app id" }),
  MICROSOFT_APP_PASSWORD: variable({
    field: 'microsoft.appPassword',
    type: text,
    secret: true,
    requiredWith: { variable: 'MICROSOFT_APP_ID', what: "the bot's client secret" },
    shownDefault: '—',
    doc: "the bot's app password (client secret)",
  }),
  MICROSOFT_APP_TENANT_ID: variable({ field: 'microsoft.tenantId', type: text, shownDefault: 'empty', doc: 'tenant of a single-tenant bot' }),
  MICROSOFT_APP_TYPE: variable({
    field: 'microsoft.appType',
    type: checked(z.enum(['SingleTenant', 'MultiTenant']), 'SingleTenant or MultiTenant'),
    default: (raw) => (raw('MICROSOFT_APP_TENANT_ID') ? 'SingleTenant' : 'MultiTenant'),
    shownDefault: '`SingleTenant` if a tenant id is set, else `MultiTenant`',
    doc: '',
  }),
  MICROSOFT_CLOUD: variable({
    field: 'microsoft.cloud',
    type: checked(z.string().transform((s) => s.toLowerCase()).pipe(z.enum(TEAMS_CLOUDS)), TEAMS_CLOUDS.join(', ')),
    default: 'public',
    doc: "the bot's Microsoft cloud: `public`, `gcc`, `gcc-high` or `dod`; picks the token audience and the two defaults below ([clouds](docs/teams.md#clouds-and-service-urls))",
  }),
  MICROSOFT_LOGIN_URL: variable({
    field: 'microsoft.loginUrl',
    type: httpUrl(),
    // The defaults of the public cloud; MICROSOFT_CLOUD picks another cloud's (teams-clouds.ts).
    default: (raw) => TEAMS_CLOUD_SETTINGS[cloudOf(raw)].loginUrl,
    shownDefault: '`https://login.microsoftonline.com` (`…microsoftonline.us` for `gcc-high`, `dod`)',
    doc: 'where the app id and password are exchanged for a token',
  }),
  TEAMS_SERVICE_URLS: variable({
    field: 'teamsServiceUrls',
    // new URL() turns a bare origin into "https://host/", so a prefix can never match "https://host.evil.com".
    type: list((entry) => (isHttpUrl(entry) ? new URL(entry).toString() : null), 'an http(s) URL prefix such as https://smba.trafficmanager.net/'),
    default: (raw) => TEAMS_CLOUD_SETTINGS[cloudOf(raw)].serviceUrlPrefix,
    shownDefault: '`https://smba.trafficmanager.net/` (the cloud\'s Bot Connector host for `gcc`, `gcc-high`, `dod`)',
    doc: 'allowed Bot Connector service URL prefixes, comma separated',
  }),
  TEAMS_DEFAULT_SERVICE_URL: variable({
    field: 'teamsDefaultServiceUrl',
    type: { parse: (raw: string, name: string, shown: string) => (isHttpUrl(raw) ? ok(new URL(raw).toString()) : expected(name, shown, 'an http(s) URL such as https://smba.trafficmanager.net/teams/')) },
    default: (raw) => TEAMS_CLOUD_SETTINGS[cloudOf(raw)].proactiveServiceUrl,
    shownDefault: "`https://smba.trafficmanager.net/teams/` (the cloud's global endpoint for `gcc`, `gcc-high`, `dod`)",
    doc: 'the Bot Connector service URL of a Teams target that names none, and of `courier teams channels` without `--service-url`; it must start with an entry of `TEAMS_SERVICE_URLS`',
  }),
  LOG_LEVEL: variable({ field: 'logLevel', type: checked(z.enum(LOG_LEVELS), LOG_LEVELS.join(', ')), default: 'info', doc: `pino level: ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}` }),
  CHROMIUM_SANDBOX: variable({
    field: 'chromiumSandbox',
    type: checked(z.enum(['auto', 'off']), 'auto (on unless the worker runs as root) or off'),
    default: 'auto',
    doc: '`auto`: Chromium keeps its sandbox unless the worker runs as root; `off`: no sandbox, for platforms that forbid user namespaces (a warning at start). See [Chromium](docs/security.md#chromium)',
  }),
  METRICS_TOKEN: variable({
    field: 'metricsToken',
    type: checked(z.string().min(16), 'at least 16 characters'),
    secret: true,
    shownDefault: 'empty (open)',
    doc: 'when set, `/metrics` answers only `Authorization: Bearer <it>`',
  }),
  ADMIN_TOKEN: variable({
    field: 'adminToken',
    type: strongSecret('`openssl rand -hex 32`'),
    secret: true,
    requiredWith: { variable: 'ADMIN_WRITE_TOKEN', what: 'the console must be on before it can be written to' },
    shownDefault: 'empty (no console)',
    doc: 'turns on the console at `/admin/` ([the console](docs/console.md)), read-only, for people who log in with it or scripts that send `Authorization: Bearer <it>`; as strong as `ARTIFACT_LINK_SECRET`',
  }),
  ADMIN_WRITE_TOKEN: variable({
    field: 'adminWriteToken',
    type: strongSecret('`openssl rand -hex 32`, not the same as ADMIN_TOKEN'),
    secret: true,
    shownDefault: 'empty (read-only)',
    doc: "the console's second credential: who logs in with it (or sends it) may also retry, promote and remove jobs; each such action is logged",
  }),
  ASSET_CACHE_MB: variable({
    field: 'assetCacheBytes',
    type: checked(z.coerce.number().min(0).max(64 * 1024).transform((mb) => Math.round(mb * 1024 * 1024)), 'megabytes, from 0 (off)'),
    default: '256',
    doc: "memory for the frontend's public static files, shared by all jobs of a worker; `0` turns it off. See [the shared asset cache](docs/rendering.md#the-shared-asset-cache)",
  }),
  JOBS_KEEP_COMPLETED_DAYS: variable({
    field: 'keepCompletedJobsSeconds',
    type: daysAsSeconds,
    default: '7',
    doc: 'how long Redis keeps a completed job (and its result) that does not say otherwise (BullMQ `removeOnComplete`)',
  }),
  JOBS_KEEP_FAILED_DAYS: variable({ field: 'keepFailedJobsSeconds', type: daysAsSeconds, default: '30', doc: 'the same for a failed job (`removeOnFail`)' }),
  SCHEDULE_HISTORY_DAYS: variable({
    field: 'scheduleHistorySeconds',
    type: checked(z.coerce.number().min(1).max(3650).transform((days) => Math.round(days * 86400)), 'a number of days, 1 to 3650'),
    default: '90',
    doc: "how long each schedule's runs are recorded (`courier schedules history`; at most 500 runs per schedule)",
  }),
  POD_NAME: variable({
    field: 'podName',
    type: text,
    default: () => hostname(),
    shownDefault: 'the host name',
    doc: "this worker's name in metrics (the `worker` label on every series)",
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;

// ---------------------------------------------------------------------------
// The README's configuration table (`npm run config-table`)

export const CONFIG_TABLE_START = '<!-- config-table:start -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

/** The Markdown table of every variable, one row each, in declaration order. */
export function renderConfigTable(): string {
  const rows = (Object.entries(VARIABLES) as [string, Declaration<unknown>][])
    .filter(([, d]) => d.inTable !== false)
    .map(([name, d]) => {
      const shown = d.shownDefault ?? (typeof d.default === 'string' ? `\`${d.default}\`` : '—');
      // An empty meaning leaves one space, as Markdown tables are usually written.
      return `${`| \`${name}\` | ${shown} | ${d.doc}`.trimEnd()} |`;
    });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The README with the text between the config-table markers replaced by the table; throws when a marker is missing. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(CONFIG_TABLE_START);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md must hold ${CONFIG_TABLE_START} … ${CONFIG_TABLE_END} around the configuration table`);
  return `${readme.slice(0, start + CONFIG_TABLE_START.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}

// Environment → one typed, validated Config (CONTRACT §2).
// The variables are declared once, in config-vars.ts: the Config type, the
// defaults and the README's table all come from there. Every variable is
// checked once at start; all wrong values are reported together in one
// ConfigError so an operator fixes them in one go.
import { clusterPrefixProblem, parseRedisUrl } from './redis/redis-url.js';
import { VARIABLES, type Declaration, type RawEnv, type VarType, type VariableName } from './config-vars.js';

export type { AppType } from './config-vars.js';

type Variables = typeof VARIABLES;
/** The value a declaration gives: its type's, or null when it has no default and is not set. */
type ValueOf<D> = D extends { type: VarType<infer T> } ? (D extends { default: unknown } ? T : T | null) : never;
type FieldOf<N extends VariableName> = Variables[N]['field'];
type Fields = { -readonly [N in VariableName as FieldOf<N> extends `${string}.${string}` | null ? never : FieldOf<N> & string]: ValueOf<Variables[N]> };
type Group<G extends string> = { -readonly [N in VariableName as FieldOf<N> extends `${G}.${infer K}` ? K : never]: ValueOf<Variables[N]> };

/** The validated configuration: one field per variable of config-vars.ts (the bot's settings grouped under `microsoft`). */
export type Config = Fields & { microsoft: Group<'microsoft'> };

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

const ENTRIES = Object.entries(VARIABLES) as [VariableName, Declaration<unknown>][];

/** The literal defaults, as an operator would write them (`DEFAULTS.REDIS_URL`). */
export const DEFAULTS = Object.fromEntries(ENTRIES.flatMap(([name, d]) => (typeof d.default === 'string' ? [[name, d.default]] : []))) as {
  readonly [N in VariableName as Variables[N] extends { default: string } ? N : never]: string;
};

/** Names of the variables that hold secrets; their values never reach logs or error messages. */
export const SECRET_VARIABLES: readonly VariableName[] = ENTRIES.filter(([, d]) => d.secret === true).map(([name]) => name);

export interface LoadOptions {
  /** Variables the calling command cannot work without (e.g. the worker needs FRONTEND_URL). */
  require?: ('FRONTEND_URL' | 'BACKEND_URL')[];
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const raw: RawEnv = (name) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  // Each variable on its own: set, else its default, else null. A value that fails is left undefined (and named).
  const values = new Map<VariableName, unknown>();
  for (const [name, d] of ENTRIES) {
    const given = raw(name) ?? (typeof d.default === 'function' ? d.default(raw) : d.default);
    if (given === undefined) {
      values.set(name, null);
      continue;
    }
    // A URL keeps its shape but never its password (REDIS_URL, …).
    const shown = d.secret ? '(hidden)' : JSON.stringify(redactCredentialsIn(given));
    const parsed = d.type.parse(given, name, shown);
    if (parsed.ok) values.set(name, parsed.value);
    else problems.push(...parsed.problems);
  }
  // Typed by its declaration: the map holds what that declaration's type parsed.
  const get = <N extends VariableName>(name: N) => values.get(name) as ValueOf<Variables[N]> | undefined;

  // Across variables.
  for (const [name, d] of ENTRIES) {
    const needed = d.requiredWith;
    if (needed && get(needed.variable as VariableName) != null && raw(name) === undefined) problems.push(`${name} is required with ${needed.variable}: ${needed.what}`);
  }
  const redis = parseRedisUrl(get('REDIS_URL') ?? '');
  const queuePrefix = get('QUEUE_PREFIX');
  const prefixProblem = redis.ok && queuePrefix ? clusterPrefixProblem(redis.target, queuePrefix) : null;
  if (prefixProblem) problems.push(prefixProblem);
  for (const [urlVar, dnsVar, what] of [['FRONTEND_URL', 'FRONTEND_DNS', 'frontend'], ['BACKEND_URL', 'BACKEND_DNS', 'backend']] as const) {
    const url = get(urlVar);
    const dns = get(dnsVar);
    if (url && dns && url.host !== dns) problems.push(`${urlVar} and ${dnsVar} disagree (${url.host} vs ${dns}): set only one`);
    if (!url && dns) values.set(urlVar, new URL(`https://${dns}`));
    if (!url && !dns && options.require?.includes(urlVar) && raw(urlVar) === undefined) {
      problems.push(`${urlVar} is required for this command: the base URL of the Toucan ${what} (or ${dnsVar}=host)`);
    }
  }
  // A default service URL that the allow-list refuses would fail every Teams target that names none: say so at start.
  const defaultServiceUrl = get('TEAMS_DEFAULT_SERVICE_URL');
  const allowedServiceUrls = get('TEAMS_SERVICE_URLS');
  if (raw('TEAMS_DEFAULT_SERVICE_URL') !== undefined && defaultServiceUrl && allowedServiceUrls && !allowedServiceUrls.some((prefix) => defaultServiceUrl.startsWith(prefix))) {
    problems.push(`TEAMS_DEFAULT_SERVICE_URL=${JSON.stringify(defaultServiceUrl)} does not start with an entry of TEAMS_SERVICE_URLS (${allowedServiceUrls.join(', ')}): add its prefix there`);
  }
  if (get('MICROSOFT_APP_TYPE') === 'SingleTenant' && get('MICROSOFT_APP_TENANT_ID') === null && get('MICROSOFT_APP_ID')) {
    problems.push('MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE=SingleTenant');
  }
  const adminToken = get('ADMIN_TOKEN');
  if (adminToken && adminToken === get('ADMIN_WRITE_TOKEN')) problems.push('ADMIN_WRITE_TOKEN must differ from ADMIN_TOKEN: the read-only credential would also write');
  if (problems.length > 0) throw new ConfigError(problems);

  const config: Record<string, unknown> = {};
  const microsoft: Record<string, unknown> = {};
  for (const [name, d] of ENTRIES) {
    if (d.field === null) continue;
    const [group, field] = d.field.includes('.') ? d.field.split('.') : [null, d.field];
    (group === 'microsoft' ? microsoft : config)[field ?? d.field] = values.get(name);
  }
  // Built field by field from the same declarations the Config type is derived from.
  return { ...config, microsoft } as Config;
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

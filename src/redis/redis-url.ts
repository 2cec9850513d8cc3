// REDIS_URL → what courier connects to (CONTRACT §2), pure: no sockets.
//
//   redis://[user:pass@]host:port[/db]            one node (rediss:// with TLS)
//   redis-sentinel://[user:pass@]h:p[,h:p…][/db]#masterName
//                                                 the Sentinels of a group; the
//                                                 password is the data nodes'
//   redis-cluster://[user:pass@]h:p[,h:p…]        any seed nodes of a Cluster
//                                                 (rediss-cluster:// with TLS)
//
// `valkey…` schemes are aliases. Every problem of a URL is named, so the
// configuration error can say all of them at once.

export type RedisTopology = 'single' | 'sentinel' | 'cluster';

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisTarget {
  topology: RedisTopology;
  /** single: the node; sentinel: the Sentinels; cluster: the seed nodes. */
  nodes: RedisAddress[];
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
  /** Sentinel: the name of the monitored master group (after `#`). */
  masterName: string | undefined;
}

export type ParsedRedisUrl = { ok: true; target: RedisTarget } | { ok: false; problems: string[] };

const SCHEMES: Record<string, { topology: RedisTopology; tls: boolean }> = {
  redis: { topology: 'single', tls: false },
  rediss: { topology: 'single', tls: true },
  'redis-sentinel': { topology: 'sentinel', tls: false },
  'redis-cluster': { topology: 'cluster', tls: false },
  'rediss-cluster': { topology: 'cluster', tls: true },
};

export const REDIS_URL_FORMS =
  'redis://[user:pass@]host:port[/db] (rediss:// with TLS), redis-sentinel://host:port[,host:port…][/db]#masterName, or redis-cluster://host:port[,host:port…] (rediss-cluster:// with TLS)';

const DEFAULT_PORT: Record<RedisTopology, number> = { single: 6379, sentinel: 26379, cluster: 6379 };

/** `valkey` → `redis`, keeping the rest of the scheme. */
function canonicalScheme(scheme: string): string {
  return scheme.toLowerCase().replace(/^valkey/, 'redis');
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function parseAddress(text: string, defaultPort: number): RedisAddress | string {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return `${JSON.stringify(text)} is not host:port`;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return `port ${port} of ${JSON.stringify(text)} is out of range`;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export function parseRedisUrl(url: string): ParsedRedisUrl {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(url.trim());
  if (!match) return { ok: false, problems: [`expected ${REDIS_URL_FORMS}`] };
  const [, rawScheme = '', userinfo, hostList = '', path, query, fragment] = match;
  const scheme = SCHEMES[canonicalScheme(rawScheme)];
  if (!scheme) {
    const hint = /sentinel/i.test(rawScheme) ? ' (Sentinel with TLS is not supported: use a single rediss:// endpoint of your provider, or Sentinel without TLS)' : '';
    return { ok: false, problems: [`unknown scheme ${rawScheme}://${hint}; expected ${REDIS_URL_FORMS}`] };
  }
  const { topology, tls } = scheme;
  const problems: string[] = [];

  const nodes: RedisAddress[] = [];
  const hosts = hostList.split(',').filter((h) => h.length > 0);
  if (hosts.length === 0) problems.push('no host');
  for (const host of hosts) {
    const address = parseAddress(host, DEFAULT_PORT[topology]);
    if (typeof address === 'string') problems.push(address);
    else nodes.push(address);
  }
  if (topology === 'single' && hosts.length > 1) {
    problems.push('a redis:// URL names one node; several hosts mean a Sentinel group (redis-sentinel://…#masterName) or a Cluster (redis-cluster://…)');
  }

  let db = 0;
  const dbText = (path ?? '').replace(/^\//, '');
  if (dbText !== '') {
    if (!/^\d{1,5}$/.test(dbText)) problems.push(`the database after / must be a number, not ${JSON.stringify(dbText)}`);
    else db = Number(dbText);
  }
  if (topology === 'cluster' && db !== 0) problems.push('Redis Cluster has only database 0: remove the /db part');

  if (query !== undefined && query.length > 1) problems.push('query parameters are not supported in REDIS_URL');

  const masterName = fragment !== undefined && fragment.length > 1 ? decode(fragment.slice(1)) : undefined;
  if (topology === 'sentinel' && masterName === undefined) {
    problems.push('a Sentinel URL names its master group after #, e.g. redis-sentinel://sentinel-1:26379,sentinel-2:26379#mymaster');
  }
  if (topology !== 'sentinel' && fragment !== undefined) problems.push('only a Sentinel URL has a #masterName part');

  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo.length > 0) {
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    username = user.length > 0 ? decode(user) : undefined;
    // As ioredis reads it: redis://user@host names a user without a password; redis://:pass@host a password alone.
    password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1));
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, target: { topology, nodes, tls, username, password, db, masterName } };
}

/** The target of a URL that configuration already checked; throws naming the problems otherwise. */
export function redisTarget(url: string): RedisTarget {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new Error(`invalid REDIS_URL ${redactRedisUrl(url)}: ${parsed.problems.join('; ')}`);
  return parsed.target;
}

/** The URL for logs and messages: any password replaced by ***. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([^:/?#]+:\/\/)([^@/?#]*)@/, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

export function formatAddress({ host, port }: RedisAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The hash tag Redis Cluster would hash for a key starting with this prefix:
 * the text between the first `{` and the first `}` after it, if not empty.
 * When a prefix has one, every key under it (BullMQ's queues, receipts,
 * alert state, locks, the schedules' set) hashes to the same slot.
 */
export function hashTagOf(prefix: string): string | null {
  const open = prefix.indexOf('{');
  if (open === -1) return null;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return prefix.slice(open + 1, close);
}

/** The refusal for a Cluster whose prefix is not hash-tagged, with the fix; null when the pair is fine. */
export function clusterPrefixProblem(target: Pick<RedisTarget, 'topology'>, prefix: string): string | null {
  if (target.topology !== 'cluster' || hashTagOf(prefix) !== null) return null;
  const suggestion = `{${prefix.replace(/[{}]/g, '') || 'courier'}}`;
  return (
    `QUEUE_PREFIX=${JSON.stringify(prefix)} has no hash tag, and REDIS_URL is a Redis Cluster: courier's keys would spread over slots, and its multi-key scripts would fail with CROSSSLOT. ` +
    `Set QUEUE_PREFIX=${suggestion} (and the same prefix in every producer, such as the backend)`
  );
}

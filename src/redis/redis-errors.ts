// Why a Redis command or connection failed, in words an operator can act on
// (pure). ioredis and Redis answer with codes (MOVED, READONLY, WRONGPASS,
// ECONNREFUSED, a TLS verification code…); a log line that only says
// "Redis unreachable?" sends people looking in the wrong place.

export type RedisProblem =
  | 'cluster-redirect'
  | 'replica'
  | 'failover'
  | 'auth'
  | 'permission'
  | 'tls'
  | 'refused'
  | 'dns'
  | 'timeout'
  | 'closed'
  | 'sentinel'
  | 'cluster-down'
  | 'crossslot'
  | 'loading'
  | 'memory'
  | 'disk'
  | 'other';

export interface RedisErrorExplanation {
  problem: RedisProblem;
  /** One sentence: what happened and what to do. */
  reason: string;
}

/** TLS verification and handshake codes Node gives (err.code) or prints in the message. */
const TLS_CODES =
  /CERT_|_CERT\b|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|self[- ]signed certificate|unable to verify|certificate|wrong version number|SSL routines|packet length too long|Hostname\/IP does not match/i;

function textOf(err: unknown): { message: string; code: string } {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    // ioredis wraps a node error of a Cluster in `lastNodeError`.
    const last = (err as Error & { lastNodeError?: unknown }).lastNodeError;
    const suffix = last instanceof Error ? ` ${last.message}` : '';
    return { message: `${err.message}${suffix}`, code: typeof code === 'string' ? code : '' };
  }
  return { message: String(err), code: '' };
}

export function explainRedisError(err: unknown): RedisErrorExplanation {
  const { message, code } = textOf(err);
  const has = (pattern: RegExp): boolean => pattern.test(message) || pattern.test(code);

  if (has(/Too many Cluster redirections/)) {
    return { problem: 'cluster-redirect', reason: `the Cluster kept redirecting the command (a resharding or failover in progress?) (${message})` };
  }
  if (has(/^(MOVED|ASK) \d+ /m) || has(/\b(MOVED|ASK) \d+ \S+:\d+/)) {
    return {
      problem: 'cluster-redirect',
      reason: `a Redis Cluster node answered ${/\bASK\b/.test(message) ? 'ASK' : 'MOVED'}: REDIS_URL names one node of a Cluster; use redis-cluster://host:port[,host:port…] with a hash-tagged QUEUE_PREFIX such as {courier} (${message})`,
    };
  }
  if (has(/CROSSSLOT/)) {
    return { problem: 'crossslot', reason: `keys of one command fall in different Cluster slots (CROSSSLOT): QUEUE_PREFIX needs a hash tag such as {courier} (${message})` };
  }
  if (has(/^READONLY|\bREADONLY\b/)) {
    return {
      problem: 'replica',
      reason: 'the node is a replica, not the master (READONLY): after a failover courier reconnects to the new master by itself; if this lasts, REDIS_URL points at a replica: use the master\'s address or redis-sentinel://…#masterName',
    };
  }
  if (has(/MASTERDOWN/)) {
    return { problem: 'replica', reason: `the node is a replica that lost its master (MASTERDOWN): REDIS_URL should point at the master, or use redis-sentinel://…#masterName (${message})` };
  }
  if (has(/UNBLOCKED/)) {
    return { problem: 'failover', reason: 'the node changed role (a failover): the blocked command was released and courier reconnects to the new master' };
  }
  if (has(/CLUSTERDOWN/)) {
    return { problem: 'cluster-down', reason: `the Cluster is down or a failover is in progress (CLUSTERDOWN): a master and all its replicas are unreachable, or the cluster is still electing (${message})` };
  }
  if (has(/WRONGPASS|invalid username-password/)) {
    return { problem: 'auth', reason: 'Redis refused the user name or password of REDIS_URL (WRONGPASS): check them (percent-encode special characters)' };
  }
  if (has(/NOAUTH/)) {
    return { problem: 'auth', reason: 'Redis requires a password (NOAUTH): put it in REDIS_URL, e.g. redis://:password@host:6379 or redis://user:password@host:6379' };
  }
  if (has(/called without any password configured|AUTH.*no password is set/i)) {
    return { problem: 'auth', reason: 'REDIS_URL has a password but this Redis has none set (AUTH refused): remove it from REDIS_URL, or set requirepass' };
  }
  if (has(/NOPERM/)) {
    return { problem: 'permission', reason: `the Redis user of REDIS_URL lacks a permission (NOPERM): allow it every command BullMQ uses, scripts, and the keys under QUEUE_PREFIX (${message})` };
  }
  if (has(TLS_CODES)) {
    return {
      problem: 'tls',
      reason: `TLS failed (${code ? `${code}: ` : ''}${message}): a private CA must be given with NODE_EXTRA_CA_CERTS=/path/ca.pem; rediss:// to a plain port or redis:// to a TLS port also fail this way`,
    };
  }
  if (has(/All sentinels are unreachable|failed to connect to sentinel/)) {
    return { problem: 'sentinel', reason: `no Sentinel of REDIS_URL gave a master that answers: a failover in progress, or the Sentinels are down (check their host:port list) (${message})` };
  }
  if (has(/connected to sentinel .* but got an invalid reply/)) {
    return { problem: 'sentinel', reason: 'the Sentinels answer but know no master of the name after # in REDIS_URL: check the #masterName' };
  }
  if (has(/Failed to refresh slots cache|None of startup nodes is available/)) {
    return { problem: 'cluster-down', reason: `no seed node of the Cluster in REDIS_URL answers (${message})` };
  }
  if (has(/LOADING/)) {
    return { problem: 'loading', reason: 'Redis is starting and still loading its data (LOADING): it answers in a moment' };
  }
  if (has(/^OOM|\bOOM command not allowed/)) {
    return { problem: 'memory', reason: 'Redis is out of memory (maxmemory reached): give it more, and keep maxmemory-policy noeviction for queues' };
  }
  if (has(/MISCONF/)) {
    return { problem: 'disk', reason: 'Redis refuses writes because it cannot save to disk (MISCONF): check its disk' };
  }
  if (has(/ECONNREFUSED/)) {
    return { problem: 'refused', reason: `nothing listens at the Redis address (restarting, down, or a wrong host or port in REDIS_URL) (${message})` };
  }
  if (has(/ENOTFOUND|EAI_AGAIN/)) {
    return { problem: 'dns', reason: `the Redis host name does not resolve (${message})` };
  }
  if (has(/ETIMEDOUT|Command timed out|connect timeout/i)) {
    return { problem: 'timeout', reason: `Redis did not answer in time (a firewall or network policy, or an overloaded Redis) (${message})` };
  }
  if (has(/ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable|Connection is aborted|Cluster is disconnected/)) {
    return { problem: 'closed', reason: `the connection to Redis closed (a restart or failover, the network, or redis:// to a TLS port); reconnecting (${message})` };
  }
  return { problem: 'other', reason: message };
}

// `courier doctor`: the troubleshooting checklist operators used to run by
// hand in the container (nslookup, telnet, curl, launching Chromium), as one
// command. Each check returns a line: ok, FAIL with a hint, or skip.
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { decideSandbox, runningAsRoot } from './browser/chromium.js';
import { BrowserPool } from './browser/pool.js';
import { redactUrlCredentials, type Config } from './config.js';
import { checkSmtp as smtpCheck } from './delivery/email.js';
import { checkTeams as teamsCheck } from './delivery/teams-check.js';
import type { TeamsConfig } from './delivery/teams.js';
import { withTimeout as withDeadline } from './deadline.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { connectOnce, createRedisClient, describeRedis, topologyOf, whereIsRedis, type RedisClient } from './redis/connection.js';
import { explainRedisError } from './redis/redis-errors.js';

export type CheckStatus = 'ok' | 'FAIL' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export type Check = () => Promise<CheckResult[]>;

const TIMEOUT_MS = 5000;

/** DNS, TCP and HTTP of one of the stack's URLs: each step named, stopping at the first failure. */
export async function checkStackUrl(label: 'frontend' | 'backend', url: URL | null, variable: string): Promise<CheckResult[]> {
  if (!url) return [{ name: `${label}`, status: 'skip', detail: `${variable} is not set` }];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let address: string;
  try {
    address = (await withTimeout(lookup(host), `DNS lookup of ${host}`)).address;
  } catch (err) {
    return [{ name: `${label} DNS`, status: 'FAIL', detail: `${host}: ${errorMessage(err)}`, hint: `check ${variable} and the container's DNS (resolv.conf, the cluster's service name)` }];
  }
  const results: CheckResult[] = [{ name: `${label} DNS`, status: 'ok', detail: `${host} → ${address}` }];
  try {
    await tcpConnect(address, port);
    results.push({ name: `${label} TCP`, status: 'ok', detail: `${address}:${port} accepts connections` });
  } catch (err) {
    results.push({ name: `${label} TCP`, status: 'FAIL', detail: `${address}:${port}: ${errorMessage(err)}`, hint: `is the ${label} running, and does a firewall or network policy let the worker reach port ${port}?` });
    return results;
  }
  try {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    const ok = response.status < 400 || (label === 'backend' && response.status === 401);
    results.push({
      name: `${label} HTTP`,
      status: ok ? 'ok' : 'FAIL',
      detail: `GET ${url.toString()} → ${response.status}`,
      hint: ok ? undefined : `the ${label} answers but its home page fails; check ${variable} (scheme, port, path prefix)`,
    });
  } catch (err) {
    results.push({
      name: `${label} HTTP`,
      status: 'FAIL',
      detail: `GET ${url.toString()}: ${errorMessage(err)}${causeOf(err)}`,
      hint: url.protocol === 'https:' ? 'a TLS problem? give the internal CA to Node with NODE_EXTRA_CA_CERTS' : `check ${variable}`,
    });
  }
  return results;
}

const TOPOLOGY_NAMES = { single: 'one node', sentinel: 'Sentinel', cluster: 'Cluster' } as const;

/** `field:value` of an INFO section. */
function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(\\S+)`, 'm').exec(info)?.[1];
}

/**
 * Connects the way the worker does (one node, Sentinel or Cluster), then
 * says which topology is in use and which node is master now. A URL that
 * reaches Redis but cannot work is a FAIL too: one node of a Cluster given
 * as redis:// (every command would answer MOVED), or a replica (READONLY).
 */
export async function checkRedis(config: Pick<Config, 'redisUrl' | 'queuePrefix'>): Promise<CheckResult[]> {
  const shown = describeRedis(config);
  let client: RedisClient | null = null;
  try {
    const topology = topologyOf(config);
    client = createRedisClient(config, { once: true });
    const connected = client;
    await withTimeout(connectOnce(connected), 'Redis connection');
    const pong = await withTimeout(connected.ping(), 'Redis PING');
    const version = infoField(await withTimeout(connected.info('server'), 'Redis INFO'), 'redis_version') ?? 'unknown version';
    const where = await withTimeout(whereIsRedis(connected, config), 'locating the master');
    const detail = `${shown} answers ${pong} (Redis ${version}); ${TOPOLOGY_NAMES[topology]}, master ${where.master ?? 'unknown'}`;
    if (topology === 'single' && infoField(await withTimeout(connected.info('cluster'), 'Redis INFO cluster'), 'cluster_enabled') === '1') {
      return [{ name: 'redis', status: 'FAIL', detail: `${shown} is one node of a Redis Cluster`, hint: `use REDIS_URL=redis-cluster://host:port[,host:port…] and a hash-tagged QUEUE_PREFIX such as {${config.queuePrefix.replace(/[{}]/g, '')}}` }];
    }
    if (topology !== 'cluster') {
      // Some managed services refuse ROLE: then there is nothing to tell.
      const [role] = ((await withTimeout(connected.call('ROLE'), 'Redis ROLE').catch(() => null)) as [string] | null) ?? ['master'];
      if (role !== 'master') {
        return [{ name: 'redis', status: 'FAIL', detail: `${detail}, but that node is a ${role === 'slave' ? 'replica' : role} (read-only)`, hint: 'point REDIS_URL at the master, or use redis-sentinel://…#masterName' }];
      }
    } else {
      const state = infoField(await withTimeout(connected.cluster('INFO'), 'CLUSTER INFO'), 'cluster_state');
      if (state !== 'ok') return [{ name: 'redis', status: 'FAIL', detail: `${detail}, but cluster_state is ${state ?? 'unknown'}`, hint: 'a master and its replicas are down, or slots are not covered: check CLUSTER INFO' }];
    }
    return [{ name: 'redis', status: pong === 'PONG' ? 'ok' : 'FAIL', detail }];
  } catch (err) {
    const { problem, reason } = explainRedisError(err);
    const hint =
      problem === 'tls'
        ? 'give the CA of the Redis certificate to Node: NODE_EXTRA_CA_CERTS=/path/ca.pem; rediss:// needs a TLS port'
        : problem === 'auth'
          ? 'check the user and password in REDIS_URL (percent-encode special characters)'
          : 'check REDIS_URL (host, port, password, rediss:// for TLS, redis-sentinel:// or redis-cluster://) and that Redis is reachable';
    return [{ name: 'redis', status: 'FAIL', detail: `${shown}: ${reason}`, hint }];
  } finally {
    client?.disconnect();
  }
}

export async function checkChromium(config: Pick<Config, 'chromiumPath' | 'concurrency' | 'browserRecycleAfter' | 'chromiumSandbox'>, log: Logger): Promise<CheckResult[]> {
  const pool = new BrowserPool({ config, log, warnSandboxOff: false });
  const started = Date.now();
  try {
    const version = await pool.withPage(async (page) => {
      await page.goto('data:text/html,<p>courier</p>');
      return page.browser().version();
    });
    const { sandbox } = decideSandbox(config.chromiumSandbox, runningAsRoot());
    return [{ name: 'chromium', status: 'ok', detail: `${version} launched and rendered a page in ${Date.now() - started} ms (sandbox ${sandbox ? 'on' : 'off'})` }];
  } catch (err) {
    const message = errorMessage(err);
    const hint = /sandbox|namespace/i.test(message)
      ? "Chromium's sandbox could not start: allow user namespaces (a seccomp profile that permits them; see docs/security.md, Chromium), or set CHROMIUM_SANDBOX=off where the platform forbids them"
      : "install Debian's chromium-headless-shell (apt-get install chromium-headless-shell) or set CHROMIUM_PATH; in a container, give it /dev/shm or keep --disable-dev-shm-usage";
    return [{ name: 'chromium', status: 'FAIL', detail: message, hint }];
  } finally {
    await pool.close();
  }
}

/** Connects and authenticates to SMTP_URL without sending anything. */
export async function checkSmtp(config: Pick<Config, 'smtpUrl'>): Promise<CheckResult[]> {
  if (!config.smtpUrl) return [{ name: 'smtp', status: 'skip', detail: 'SMTP_URL is not set (email off)' }];
  const { ok, detail, hint } = await smtpCheck(config);
  const shown = redactUrlCredentials(config.smtpUrl);
  return [{ name: 'smtp', status: ok ? 'ok' : 'FAIL', detail: detail.includes(shown) ? detail : `${shown}: ${detail}`, ...(hint ? { hint } : {}) }];
}

/** Exchanges the bot's app id and password for a token at MICROSOFT_LOGIN_URL. */
export async function checkTeams(config: TeamsConfig, log: Logger): Promise<CheckResult[]> {
  if (!config.microsoft.appId) return [{ name: 'teams token', status: 'skip', detail: 'MICROSOFT_APP_ID is not set (Teams off)' }];
  const { ok, detail } = await teamsCheck(config, log);
  return [{ name: 'teams token', status: ok ? 'ok' : 'FAIL', detail }];
}

export async function runChecks(checks: Check[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(...(await check()));
    } catch (err) {
      results.push({ name: 'check', status: 'FAIL', detail: errorMessage(err) });
    }
  }
  return results;
}

export function formatResults(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${r.status.padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}${r.hint ? `\n      hint: ${r.hint}` : ''}`)
    .join('\n');
}

function tcpConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
    });
    socket.once('error', reject);
  });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return withDeadline(promise, TIMEOUT_MS, () => new Error(`${what}: no answer within ${TIMEOUT_MS} ms`));
}

function causeOf(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? ` (${cause.message})` : '';
}

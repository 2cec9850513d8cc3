// Deny-by-default network policy for story pages. Pure: a URL in, a decision
// out. The page may reach the frontend, the backend, ALLOWED_ORIGINS, and
// data:/blob: URLs; everything else is aborted and reported. The bearer
// token is attached to requests to the backend's origin and nowhere else.
import type { Config } from '../config.js';

export interface NetworkPolicy {
  frontendOrigin: string;
  backendOrigin: string | null;
  /** Every http(s) origin the page may reach (frontend, backend, ALLOWED_ORIGINS). */
  allowedOrigins: ReadonlySet<string>;
}

export type RequestDecision =
  | { action: 'allow'; withToken: boolean }
  | { action: 'block'; reason: string };

/** Schemes that never touch the network or the file system. */
const INERT_SCHEMES = new Set(['data:', 'blob:', 'about:']);

export function policyFor(config: Pick<Config, 'backendUrl' | 'allowedOrigins'>, frontend: URL): NetworkPolicy {
  const backendOrigin = config.backendUrl?.origin ?? null;
  const allowed = new Set<string>([frontend.origin, ...config.allowedOrigins]);
  if (backendOrigin) allowed.add(backendOrigin);
  return { frontendOrigin: frontend.origin, backendOrigin, allowedOrigins: allowed };
}

export function decide(url: string, policy: NetworkPolicy): RequestDecision {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { action: 'block', reason: 'unparseable URL' };
  }
  if (INERT_SCHEMES.has(parsed.protocol)) return { action: 'allow', withToken: false };
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { action: 'block', reason: `scheme ${parsed.protocol} is never allowed` };
  }
  if (!policy.allowedOrigins.has(parsed.origin)) {
    return { action: 'block', reason: `origin ${parsed.origin} is not allowed` };
  }
  return { action: 'allow', withToken: policy.backendOrigin !== null && parsed.origin === policy.backendOrigin };
}

/**
 * The headers a request leaves with. Computed from scratch for every request
 * (redirects included): our token is added for the backend and removed
 * everywhere else, so a redirect from the backend to another origin cannot
 * carry it along.
 */
export function outgoingHeaders(headers: Record<string, string>, decision: RequestDecision, token: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const ours = name.toLowerCase() === 'authorization' && token !== undefined && value === `Bearer ${token}`;
    if (!ours) out[name] = value;
  }
  if (decision.action === 'allow' && decision.withToken && token !== undefined) out.authorization = `Bearer ${token}`;
  return out;
}

/** A WebSocket URL is judged as the http(s) origin it shares a server with (ws → http, wss → https). */
export function decideWebSocket(url: string, policy: NetworkPolicy): RequestDecision {
  return decide(url.replace(/^ws(s?):/i, 'http$1:'), policy);
}

/** The port a URL's scheme implies when it names none. */
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** `host:port` of a URL (IPv6 hosts in brackets), or null for a URL without a network host. */
export function hostPortOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!parsed.hostname) return null;
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  return port ? `${parsed.hostname.toLowerCase()}:${port}` : null;
}

/**
 * What the egress proxy does with a CONNECT (a tunnel for https, wss, and
 * ws through a proxy): allowed only to the host and port of an allowed
 * origin. Inside a tunnel the proxy sees nothing, and there is nothing more
 * to see: the other end is one of the stack's own servers. Pure.
 */
export function decideTunnel(hostPort: string, policy: NetworkPolicy): RequestDecision {
  const wanted = hostPort.toLowerCase();
  for (const origin of policy.allowedOrigins) {
    if (hostPortOf(origin) === wanted) return { action: 'allow', withToken: false };
  }
  return { action: 'block', reason: `${hostPort} is not the host and port of an allowed origin` };
}

/**
 * Chromium's --host-resolver-rules: resolve nothing. Every request leaves
 * through the egress proxy, which resolves the allowed hosts itself, so
 * Chromium never needs a DNS answer; a name it tried to resolve anyway (a
 * bug, a feature we did not know of) would be a way out, e.g. a secret
 * spelled as a host name and read off the DNS server's log. The rule also
 * applies to IP literals, so the proxies' own address is excepted.
 */
export const RESOLVE_NOTHING = 'MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

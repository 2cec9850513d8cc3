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

/**
 * Host names Chromium may resolve at all: a second wall behind request
 * interception, for traffic interception does not see (WebSocket, prefetch).
 * Returns a --host-resolver-rules value, or null when every allowed origin
 * is an IP literal (nothing to resolve).
 */
export function hostResolverRules(origins: Iterable<string>): string | null {
  const hosts = new Set<string>();
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (!/^[\d.]+$/.test(host) && !host.startsWith('[')) hosts.add(host);
  }
  if (hosts.size === 0) return null;
  return ['MAP * ~NOTFOUND', ...[...hosts].map((h) => `EXCLUDE ${h}`)].join(', ');
}

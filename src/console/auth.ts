// Who may use the console, and how (pure: no I/O, the clock passed in).
//
// Two credentials (CONTRACT §2): ADMIN_TOKEN reads, ADMIN_WRITE_TOKEN also
// retries, promotes and removes jobs. A script presents one as
// `Authorization: Bearer <token>`; a person types it once on the login page
// and gets a session cookie. The cookie holds no token: it is
// `<role>.<expires>.<nonce>.<HMAC>`, keyed by a hash of the role's own
// token, so it works on every pod that has the same tokens, and changing a
// token ends its sessions.
//
// Forged writes: a browser attaches the cookie to a request another page
// makes to the same site (SameSite=Strict stops other sites, not another
// port of the same host), so every write that rests on the cookie must come
// from the console's own origin (the Origin header, else Sec-Fetch-Site).
// A bearer header is never attached by a browser on its own: no check needed.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Role = 'read' | 'write';

export interface ConsoleTokens {
  read: string;
  write: string | null;
}

export const SESSION_COOKIE = 'courier_admin';
/** The cookie name over https: `__Host-` makes the browser refuse it unless Secure, on Path=/ and without Domain. */
export const SECURE_SESSION_COOKIE = '__Host-courier_admin';
export const SESSION_SECONDS = 8 * 3600;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Equal strings, compared in constant time (over hashes, so the lengths do not show either). */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The role a presented token grants, or null. The write token wins (it may also read). */
export function roleOfToken(given: string, tokens: ConsoleTokens): Role | null {
  const isWrite = tokens.write !== null && same(given, tokens.write);
  const isRead = same(given, tokens.read);
  return isWrite ? 'write' : isRead ? 'read' : null;
}

/** The role of an `Authorization: Bearer <token>` header, or null. */
export function roleOfBearer(header: string | undefined, tokens: ConsoleTokens): Role | null {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return given === undefined ? null : roleOfToken(given, tokens);
}

function sessionKey(role: Role, tokens: ConsoleTokens): string | null {
  const token = role === 'write' ? tokens.write : tokens.read;
  return token === null ? null : createHash('sha256').update(`courier console session\n${role}\n${token}`).digest('hex');
}

function sessionMac(key: string, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/** A new session's cookie value for `role`, valid SESSION_SECONDS from `nowSeconds`. */
export function makeSession(role: Role, tokens: ConsoleTokens, nowSeconds: number): string {
  const key = sessionKey(role, tokens);
  if (key === null) throw new Error(`no ${role} credential is configured`);
  const body = `${role}.${nowSeconds + SESSION_SECONDS}.${randomBytes(12).toString('base64url')}`;
  return `${body}.${sessionMac(key, body)}`;
}

/** The role of a session cookie value, or null when it is malformed, forged, expired or its token changed. */
export function roleOfSession(value: string | undefined, tokens: ConsoleTokens, nowSeconds: number): Role | null {
  const parts = (value ?? '').split('.');
  if (parts.length !== 4) return null;
  const [role, expires, nonce, mac] = parts as [string, string, string, string];
  if ((role !== 'read' && role !== 'write') || !/^\d{1,12}$/.test(expires) || nonce === '') return null;
  const key = sessionKey(role, tokens);
  if (key === null || !same(mac, sessionMac(key, `${role}.${expires}.${nonce}`))) return null;
  return Number(expires) > nowSeconds ? role : null;
}

/** The Set-Cookie value of a session (or, with value null, of its removal). */
export function sessionCookieHeader(value: string | null, secure: boolean): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  // __Host- cookies must have Path=/; the plain one is kept to the console.
  const attributes = [secure ? 'Path=/' : 'Path=/admin', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), `Max-Age=${value === null ? 0 : SESSION_SECONDS}`];
  return [`${name}=${value ?? ''}`, ...attributes].join('; ');
}

/** The session cookie's value among a request's cookies (the secure name first). */
export function sessionFromCookies(header: string | undefined): string | undefined {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return cookies.get(SECURE_SESSION_COOKIE) ?? cookies.get(SESSION_COOKIE);
}

export interface RequestOrigin {
  /** The request's Host header. */
  host: string | undefined;
  /** `https` behind a TLS proxy (X-Forwarded-Proto), else `http`. */
  protocol: 'http' | 'https';
  origin: string | undefined;
  secFetchSite: string | undefined;
}

/**
 * Whether a cookie-borne write comes from the console's own pages: its
 * Origin is the console's (as the browser reached it, or PUBLIC_URL's), or,
 * from a browser that sends no Origin, Sec-Fetch-Site says same-origin.
 * Neither header: refused (a browser sends at least one on every write).
 */
export function isSameOrigin(request: RequestOrigin, publicOrigin: string | null): boolean {
  if (request.origin !== undefined && request.origin !== 'null') {
    const own = request.host === undefined ? null : `${request.protocol}://${request.host}`.toLowerCase();
    const given = request.origin.toLowerCase();
    return given === own || (publicOrigin !== null && given === publicOrigin.toLowerCase());
  }
  if (request.origin === 'null') return false;
  return request.secFetchSite === 'same-origin';
}

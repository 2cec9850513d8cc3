// Pure URL rules shared by every queue: where a story lives, which link people
// get, and which origins are ours. No I/O here.
import { CourierError } from './errors.js';

/**
 * Resolves a job's `url` against the frontend base. A path is joined to
 * FRONTEND_URL; an absolute URL must be on FRONTEND_URL's origin. Anything
 * else is FORBIDDEN_URL, decided before a page is opened.
 */
export function resolveStoryUrl(url: string, frontendUrl: URL | null): URL {
  const isAbsolute = /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');
  if (!isAbsolute) {
    if (!frontendUrl) {
      throw new CourierError('FORBIDDEN_URL', `the story URL ${JSON.stringify(url)} is a path, but FRONTEND_URL is not set to resolve it against`);
    }
    return joinPath(frontendUrl, url);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CourierError('FORBIDDEN_URL', `the story URL ${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CourierError('FORBIDDEN_URL', `the story URL scheme ${parsed.protocol} is not allowed; only http(s) on FRONTEND_URL`);
  }
  if (frontendUrl && parsed.origin !== frontendUrl.origin) {
    throw new CourierError('FORBIDDEN_URL', `the story URL ${parsed.origin} is not on FRONTEND_URL's origin ${frontendUrl.origin}`);
  }
  return parsed;
}

/**
 * Resolves a backend request path (alerts' `data.url`) against BACKEND_URL;
 * an absolute URL must be on BACKEND_URL's origin.
 */
export function resolveBackendUrl(url: string, backendUrl: URL | null): URL {
  if (!backendUrl) throw new CourierError('FORBIDDEN_URL', 'BACKEND_URL is not set, so no backend request can be made');
  const isAbsolute = /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');
  const resolved = isAbsolute ? safeUrl(url) : joinPath(backendUrl, url);
  if (!resolved || resolved.origin !== backendUrl.origin) {
    throw new CourierError('FORBIDDEN_URL', `the data URL ${JSON.stringify(url)} is not on BACKEND_URL's origin ${backendUrl.origin}`);
  }
  return resolved;
}

/** Joins a path (with its query) onto a base URL, keeping the base's own path prefix. */
function joinPath(base: URL, path: string): URL {
  const prefix = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  const rest = path.startsWith('/') ? path : `/${path}`;
  return new URL(`${base.origin}${prefix}${rest}`);
}

function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The link people open: the story without the `export=true` rendering flag. */
export function humanLink(storyUrl: URL): string {
  const link = new URL(storyUrl);
  if (link.searchParams.get('export') === 'true') link.searchParams.delete('export');
  return link.toString();
}

/** The origin of a URL, or null for schemes that have none (data:, blob:, file:). */
export function originOf(url: string): string | null {
  const parsed = safeUrl(url);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return null;
  return parsed.origin;
}

/**
 * The Bot Connector service URL receives the bot's token, so it must start
 * with an entry of TEAMS_SERVICE_URLS. Checked before any token is obtained.
 */
export function assertServiceUrlAllowed(serviceUrl: string, allowedPrefixes: string[]): void {
  const parsed = safeUrl(serviceUrl);
  const normalized = parsed?.toString() ?? '';
  const allowed = parsed !== null && allowedPrefixes.some((prefix) => normalized.startsWith(prefix) || `${normalized}/`.startsWith(prefix));
  if (!allowed) {
    throw new CourierError(
      'FORBIDDEN_URL',
      `the Teams service URL ${JSON.stringify(serviceUrl)} is not allowed; it must start with one of TEAMS_SERVICE_URLS (${allowedPrefixes.join(', ') || 'none set'})`,
    );
  }
}

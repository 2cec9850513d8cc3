// The console's credentials, sessions and same-origin rule (pure), and the
// reading of a failure's sentence into what its page shows.
import { describe, expect, it } from 'vitest';
import { isSameOrigin, makeSession, roleOfBearer, roleOfSession, roleOfToken, sessionCookieHeader, sessionFromCookies } from '../../src/console/auth.js';
import { explainReason } from '../../src/console/job-view.js';
import { scrubSecrets } from '../../src/queue/scrub.js';

const tokens = { read: 'r'.repeat(10) + 'ead-token-0123456789abcdef', write: 'w'.repeat(10) + 'rite-token-0123456789abcdef' };
const NOW = 1_800_000_000;

describe('console credentials', () => {
  it('grants read or write by token, and nothing to another', () => {
    expect(roleOfToken(tokens.read, tokens)).toBe('read');
    expect(roleOfToken(tokens.write, tokens)).toBe('write');
    expect(roleOfToken('nope', tokens)).toBeNull();
    expect(roleOfToken(tokens.write, { read: tokens.read, write: null })).toBeNull();
    expect(roleOfBearer(`Bearer ${tokens.read}`, tokens)).toBe('read');
    expect(roleOfBearer(tokens.read, tokens)).toBeNull();
  });

  it('keeps sessions that are signed, unexpired and of a token still configured', () => {
    const session = makeSession('write', tokens, NOW);
    expect(session).not.toContain(tokens.write);
    expect(roleOfSession(session, tokens, NOW + 60)).toBe('write');
    expect(roleOfSession(session, tokens, NOW + 9 * 3600)).toBeNull();
    expect(roleOfSession(session.replace('write.', 'read.'), tokens, NOW)).toBeNull();
    expect(roleOfSession(session, { ...tokens, write: `${tokens.write}x` }, NOW)).toBeNull();
    expect(roleOfSession(undefined, tokens, NOW)).toBeNull();
  });

  it('sets an HttpOnly, SameSite=Strict cookie, Secure behind https, and reads it back', () => {
    expect(sessionCookieHeader('v', false)).toBe('courier_admin=v; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=28800');
    expect(sessionCookieHeader('v', true)).toBe('__Host-courier_admin=v; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=28800');
    expect(sessionFromCookies('a=1; courier_admin=abc.def')).toBe('abc.def');
  });

  it('accepts a write from its own origin only', () => {
    const own = { host: '127.0.0.1:9464', protocol: 'http' as const, secFetchSite: undefined };
    expect(isSameOrigin({ ...own, origin: 'http://127.0.0.1:9464' }, null)).toBe(true);
    expect(isSameOrigin({ ...own, origin: 'http://127.0.0.1:5555' }, null)).toBe(false);
    expect(isSameOrigin({ ...own, origin: 'null' }, null)).toBe(false);
    expect(isSameOrigin({ ...own, origin: 'https://courier.corp' }, 'https://courier.corp')).toBe(true);
    expect(isSameOrigin({ ...own, origin: undefined, secFetchSite: 'same-origin' }, null)).toBe(true);
    expect(isSameOrigin({ ...own, origin: undefined, secFetchSite: 'same-site' }, null)).toBe(false);
    expect(isSameOrigin({ ...own, origin: undefined }, null)).toBe(false);
  });
});

describe("a failure's sentence, part by part", () => {
  it('reads the code, unmet conditions, requests and screenshot of a SELECTOR_TIMEOUT', () => {
    const e = explainReason(
      'SELECTOR_TIMEOUT: waiting for selector ".tc-story" failed: timeout 30000ms exceeded — still unmet: a loading animation is visible in the story (div.spinner); 1 request in flight (GET https://api/demo/totals, 29.1 s) — page https://front/demo?slide=s1 (HTTP 200); failed requests: GET https://api/demo/data → 401; blocked: https://cdn.example/x.js; console errors: 1; see artifacts/screenshot/2026-11-20/42.timeout.png',
    );
    expect(e.code).toBe('SELECTOR_TIMEOUT');
    expect(e.unmet).toEqual(['a loading animation is visible in the story (div.spinner)', '1 request in flight (GET https://api/demo/totals, 29.1 s)']);
    expect(e.inFlight).toEqual(['GET https://api/demo/totals, 29.1 s']);
    expect(e.failedRequests).toEqual(['GET https://api/demo/data → 401']);
    expect(e.refused).toEqual(['https://cdn.example/x.js']);
    expect(e.consoleErrors).toBe(1);
    expect(e.screenshot).toBe('screenshot/2026-11-20/42.timeout.png');
  });

  it('hides every credential in what it shows', () => {
    expect(scrubSecrets({ url: '/x', auth: { token: 't' }, deliver: [{ password: 'p', to: ['a@b'] }], apiKey: 'k', ok: true })).toEqual({
      url: '/x',
      auth: '(hidden)',
      deliver: [{ password: '(hidden)', to: ['a@b'] }],
      apiKey: '(hidden)',
      ok: true,
    });
  });
});

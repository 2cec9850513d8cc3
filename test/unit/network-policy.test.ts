import { describe, expect, it } from 'vitest';
import { decide, hostResolverRules, outgoingHeaders, policyFor } from '../../src/browser/network-policy.js';

const policy = policyFor(
  { backendUrl: new URL('https://api.corp.com'), allowedOrigins: ['https://fonts.corp-cdn.com'] },
  new URL('https://toucan.corp.com/demo'),
);

describe('network policy', () => {
  it.each([
    ['https://toucan.corp.com/app.js', 'allow', false],
    ['https://api.corp.com/data', 'allow', true],
    ['https://fonts.corp-cdn.com/x.woff2', 'allow', false],
    ['data:image/png;base64,AAAA', 'allow', false],
    ['blob:https://toucan.corp.com/123', 'allow', false],
    ['https://evil.com/x.js', 'block', false],
    ['http://api.corp.com/data', 'block', false],
    ['https://api.corp.com.evil.com/data', 'block', false],
    ['file:///etc/passwd', 'block', false],
    ['ftp://toucan.corp.com/x', 'block', false],
    ['chrome://settings', 'block', false],
  ] as const)('%s → %s (token: %s)', (url, action, withToken) => {
    const decision = decide(url, policy);
    expect(decision.action).toBe(action);
    if (decision.action === 'allow') expect(decision.withToken).toBe(withToken);
  });

  it('adds the token for the backend and nowhere else', () => {
    expect(outgoingHeaders({ accept: '*/*' }, decide('https://api.corp.com/d', policy), 'T')).toEqual({ accept: '*/*', authorization: 'Bearer T' });
    expect(outgoingHeaders({ accept: '*/*' }, decide('https://toucan.corp.com/d', policy), 'T')).toEqual({ accept: '*/*' });
  });

  it('strips our token from a request that a redirect carried to another allowed origin', () => {
    const headers = { Authorization: 'Bearer T', accept: '*/*' };
    expect(outgoingHeaders(headers, decide('https://fonts.corp-cdn.com/f', policy), 'T')).toEqual({ accept: '*/*' });
  });

  it("keeps the page's own Authorization header (not ours)", () => {
    expect(outgoingHeaders({ authorization: 'Basic xyz' }, decide('https://toucan.corp.com/d', policy), 'T')).toEqual({ authorization: 'Basic xyz' });
  });

  it('lets Chromium resolve only the allowed host names', () => {
    expect(hostResolverRules(['https://toucan.corp.com', 'https://api.corp.com:8443', 'http://127.0.0.1:3000'])).toBe(
      'MAP * ~NOTFOUND, EXCLUDE toucan.corp.com, EXCLUDE api.corp.com',
    );
    expect(hostResolverRules(['http://127.0.0.1:3000'])).toBeNull();
  });
});

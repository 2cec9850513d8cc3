import { describe, expect, it } from 'vitest';
import { RESOLVE_NOTHING, decide, decideTunnel, decideWebSocket, hostPortOf, outgoingHeaders, policyFor } from '../../src/browser/network-policy.js';

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

  it('tunnels only to the host and port of an allowed origin', () => {
    expect(decideTunnel('toucan.corp.com:443', policy).action).toBe('allow');
    expect(decideTunnel('API.corp.com:443', policy).action).toBe('allow');
    expect(decideTunnel('toucan.corp.com:8443', policy).action).toBe('block');
    expect(decideTunnel('evil.com:443', policy).action).toBe('block');
    expect(decideTunnel('127.0.0.1:443', policy).action).toBe('block');
    const onLoopback = policyFor({ backendUrl: new URL('http://127.0.0.1:4001'), allowedOrigins: ['http://[::1]:4002'] }, new URL('http://127.0.0.1:4000/'));
    // ws:// to an http origin goes through a tunnel to the same server.
    expect(decideTunnel('127.0.0.1:4000', onLoopback).action).toBe('allow');
    expect(decideTunnel('127.0.0.1:4003', onLoopback).action).toBe('block');
    expect(decideTunnel('[::1]:4002', onLoopback).action).toBe('allow');
  });

  it('judges a WebSocket by the origin it shares a server with', () => {
    expect(decideWebSocket('wss://toucan.corp.com/live', policy).action).toBe('allow');
    expect(decideWebSocket('ws://toucan.corp.com/live', policy).action).toBe('block');
    expect(decideWebSocket('wss://evil.com/x', policy).action).toBe('block');
  });

  it('names host and port with the default port of the scheme', () => {
    expect(hostPortOf('https://A.example/x')).toBe('a.example:443');
    expect(hostPortOf('ws://a.example:81/x')).toBe('a.example:81');
    expect(hostPortOf('http://[::1]/')).toBe('[::1]:80');
    expect(hostPortOf('data:text/plain,x')).toBeNull();
  });

  it('lets Chromium resolve no name at all (the proxy resolves the allowed ones)', () => {
    expect(RESOLVE_NOTHING).toBe('MAP * ~NOTFOUND, EXCLUDE 127.0.0.1');
  });
});

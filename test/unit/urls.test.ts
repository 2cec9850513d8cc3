import { describe, expect, it } from 'vitest';
import { assertServiceUrlAllowed, humanLink, resolveBackendUrl, resolveStoryUrl } from '../../src/urls.js';

const front = new URL('https://toucan.corp.com/app/');

describe('story URLs', () => {
  it('resolves a path against FRONTEND_URL, keeping its path prefix and the query', () => {
    expect(resolveStoryUrl('/demo?slide=sales&export=true', front).toString()).toBe('https://toucan.corp.com/app/demo?slide=sales&export=true');
  });

  it('accepts an absolute URL on the frontend origin', () => {
    expect(resolveStoryUrl('https://toucan.corp.com/x', front).toString()).toBe('https://toucan.corp.com/x');
  });

  it.each(['https://evil.com/demo', 'http://toucan.corp.com/demo', 'file:///etc/passwd', 'javascript:alert(1)', '//evil.com/x'])('refuses %s with FORBIDDEN_URL', (url) => {
    expect(() => resolveStoryUrl(url, front)).toThrow(/^FORBIDDEN_URL: /);
  });

  it('needs FRONTEND_URL for a path', () => {
    expect(() => resolveStoryUrl('/demo', null)).toThrow(/FORBIDDEN_URL: .*FRONTEND_URL is not set/);
  });

  it('gives people a link without export=true', () => {
    expect(humanLink(new URL('https://t.corp.com/demo?slide=s&export=true&x=1'))).toBe('https://t.corp.com/demo?slide=s&x=1');
  });
});

describe('backend URLs', () => {
  const back = new URL('https://api.corp.com');
  it('resolves paths and refuses other origins', () => {
    expect(resolveBackendUrl('/kpi/sales', back).toString()).toBe('https://api.corp.com/kpi/sales');
    expect(() => resolveBackendUrl('https://other.com/kpi', back)).toThrow(/^FORBIDDEN_URL/);
  });
});

describe('Teams service URLs', () => {
  const allowed = ['https://smba.trafficmanager.net/'];
  it('allows a listed prefix', () => {
    expect(() => assertServiceUrlAllowed('https://smba.trafficmanager.net/emea/', allowed)).not.toThrow();
  });
  it.each(['https://smba.trafficmanager.net.evil.com/', 'http://smba.trafficmanager.net/emea/', 'https://evil.com/smba.trafficmanager.net/'])('refuses %s', (url) => {
    expect(() => assertServiceUrlAllowed(url, allowed)).toThrow(/^FORBIDDEN_URL: .*TEAMS_SERVICE_URLS/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrlCredentials } from '../../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('courier');
    expect(config.selector).toBe('.tc-slide__content, .tc-story');
    expect(config.busySelector).toBe('[aria-busy="true"]');
    expect(config.selectorTimeoutMs).toBe(30000);
    expect(config.jobTimeoutMs).toBe(120000);
    expect(config.concurrency).toBe(2);
    expect(config.artifactsDir).toBe('./artifacts');
    expect(config.artifactsTtlDays).toBe(7);
    expect(config.httpPort).toBe(9464);
    expect(config.mailMaxAttachmentBytes).toBe(10485760);
    expect(config.microsoft.loginUrl.toString()).toBe('https://login.microsoftonline.com/');
    expect(config.microsoft.appType).toBe('MultiTenant');
    expect(config.teamsServiceUrls).toEqual(['https://smba.trafficmanager.net/']);
    expect(config.microsoft.cloud).toBe('public');
    expect(config.artifactLinkTtlSeconds).toBe(90 * 86400);
    expect(config.smtpUrl).toBeNull();
    expect(config.frontendUrl).toBeNull();
  });

  it('reports every wrong variable together, in one message', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://nope',
      CONCURRENCY: 'many',
      SELECTOR_TIMEOUT_MS: '-5',
      HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
      FRONTEND_URL: 'ftp://front',
      PUBLIC_URL: 'https://courier.example.com',
      SMTP_URL: 'smtp://u:p@mail:587',
      MICROSOFT_APP_ID: 'app',
      ALLOWED_ORIGINS: 'https://cdn.example.com, not a url',
    });
    const joined = problems.join('\n');
    for (const name of ['REDIS_URL', 'CONCURRENCY', 'SELECTOR_TIMEOUT_MS', 'HTTP_PORT', 'LOG_LEVEL', 'FRONTEND_URL', 'ARTIFACT_LINK_SECRET', 'MAIL_FROM', 'MICROSOFT_APP_PASSWORD', 'ALLOWED_ORIGINS']) {
      expect(joined).toContain(name);
    }
    expect(problems.length).toBeGreaterThanOrEqual(10);
  });

  it('never echoes a secret in its error', () => {
    const problems = problemsOf({ SMTP_URL: 'http://user:hunter2@mail', ARTIFACT_LINK_SECRET: 'short-s3cret' });
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).not.toContain('short-s3cret');
    expect(problems.join('\n')).toContain('SMTP_URL=(hidden)');
  });

  it('expands FRONTEND_DNS and BACKEND_DNS to https URLs', () => {
    const config = loadConfig({ FRONTEND_DNS: 'toucan.corp.com', BACKEND_DNS: 'api.corp.com:8443' });
    expect(config.frontendUrl?.toString()).toBe('https://toucan.corp.com/');
    expect(config.backendUrl?.toString()).toBe('https://api.corp.com:8443/');
  });

  it('refuses a URL and a DNS shorthand that disagree', () => {
    expect(problemsOf({ FRONTEND_URL: 'https://a.corp.com', FRONTEND_DNS: 'b.corp.com' }).join()).toContain('disagree');
  });

  it('requires the stack URLs only for commands that need them', () => {
    expect(() => loadConfig({}, { require: ['FRONTEND_URL', 'BACKEND_URL'] })).toThrow(/FRONTEND_URL is required[\s\S]*BACKEND_URL is required/);
  });

  it('derives the Teams app type from the tenant id', () => {
    expect(loadConfig({ MICROSOFT_APP_ID: 'a', MICROSOFT_APP_PASSWORD: 'p', MICROSOFT_APP_TENANT_ID: 't' }).microsoft.appType).toBe('SingleTenant');
    expect(problemsOf({ MICROSOFT_APP_ID: 'a', MICROSOFT_APP_PASSWORD: 'p', MICROSOFT_APP_TYPE: 'SingleTenant' }).join()).toContain('MICROSOFT_APP_TENANT_ID');
  });

  it('normalises TEAMS_SERVICE_URLS so a bare host cannot prefix-match another host', () => {
    expect(loadConfig({ TEAMS_SERVICE_URLS: 'https://smba.trafficmanager.net' }).teamsServiceUrls).toEqual(['https://smba.trafficmanager.net/']);
  });

  it("takes the token authority and the allowed service URLs from MICROSOFT_CLOUD, unless set", () => {
    const gcc = loadConfig({ MICROSOFT_CLOUD: 'gcc' });
    expect([gcc.microsoft.loginUrl.origin, gcc.teamsServiceUrls]).toEqual(['https://login.microsoftonline.com', ['https://smba.infra.gcc.teams.microsoft.com/']]);
    const high = loadConfig({ MICROSOFT_CLOUD: 'GCC-High' });
    expect([high.microsoft.cloud, high.microsoft.loginUrl.origin, high.teamsServiceUrls]).toEqual(['gcc-high', 'https://login.microsoftonline.us', ['https://smba.infra.gov.teams.microsoft.us/']]);
    const dod = loadConfig({ MICROSOFT_CLOUD: 'dod', TEAMS_SERVICE_URLS: 'https://proxy.corp.example/' });
    expect([dod.microsoft.loginUrl.origin, dod.teamsServiceUrls]).toEqual(['https://login.microsoftonline.us', ['https://proxy.corp.example/']]);
    expect(problemsOf({ MICROSOFT_CLOUD: 'china' })).toEqual(['MICROSOFT_CLOUD="china": expected public, gcc, gcc-high, dod']);
  });

  it('redacts passwords from URLs shown to people', () => {
    expect(redactUrlCredentials('smtp://user:secret@mail:587')).toBe('smtp://user:***@mail:587');
  });
});

// README.md's configuration table is written from src/config-vars.ts and
// must not drift (as jobs/schemas/ must not drift from the contracts); the
// declarations keep CONTRACT §2's names and defaults.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig, SECRET_VARIABLES } from '../../src/config.js';
import { renderConfigTable, VARIABLES, withConfigTable } from '../../src/config-vars.js';
import { fromRoot } from '../../src/paths.js';

describe('the configuration table', () => {
  it('in README.md matches the declarations (run `npm run config-table` after changing src/config-vars.ts)', () => {
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });

  it('has a row for every variable but the DNS shorthands, which their URL rows explain', () => {
    const table = renderConfigTable();
    const named = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(named).toEqual(Object.keys(VARIABLES).filter((name) => !name.endsWith('_DNS')));
    expect(table).toContain('`FRONTEND_DNS=host`');
  });

  it('refuses a README without its markers', () => {
    expect(() => withConfigTable('# no table here')).toThrow(/config-table:start/);
  });
});

describe('the declarations', () => {
  // CONTRACT §2: these names and defaults are fixed.
  const CONTRACT_DEFAULTS: Record<string, string> = {
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: 'courier',
    SELECTOR: '.tc-slide__content, .tc-story',
    BUSY_SELECTOR: '[aria-busy="true"]',
    SELECTOR_TIMEOUT_MS: '30000',
    JOB_TIMEOUT_MS: '120000',
    CONCURRENCY: '2',
    ARTIFACTS_DIR: './artifacts',
    ARTIFACTS_TTL_DAYS: '7',
    HTTP_PORT: '9464',
    MAIL_MAX_ATTACHMENT_BYTES: '10485760',
    LOG_LEVEL: 'info',
  };
  const CONTRACT_NAMES = [
    ...Object.keys(CONTRACT_DEFAULTS),
    'FRONTEND_URL', 'BACKEND_URL', 'ALLOWED_ORIGINS', 'BROWSER_RECYCLE_AFTER', 'CHROMIUM_PATH', 'PUBLIC_URL', 'ARTIFACT_LINK_SECRET', 'ARTIFACT_LINK_TTL_SECONDS',
    'SMTP_URL', 'MAIL_FROM', 'RECIPIENT_DOMAINS', 'MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID', 'MICROSOFT_APP_TYPE', 'MICROSOFT_LOGIN_URL', 'TEAMS_SERVICE_URLS',
  ];

  it('declare every variable of the contract, with its default', () => {
    expect(Object.keys(VARIABLES)).toEqual(expect.arrayContaining(CONTRACT_NAMES));
    expect(Object.fromEntries(Object.keys(CONTRACT_DEFAULTS).map((name) => [name, (DEFAULTS as Record<string, string>)[name]]))).toEqual(CONTRACT_DEFAULTS);
  });

  it('load every literal default without a problem', () => {
    const config = loadConfig({});
    expect(config.selectorTimeoutMs).toBe(Number(DEFAULTS.SELECTOR_TIMEOUT_MS));
    expect(config.assetCacheBytes).toBe(Number(DEFAULTS.ASSET_CACHE_MB) * 1024 * 1024);
    expect(config.keepFailedJobsSeconds).toBe(Number(DEFAULTS.JOBS_KEEP_FAILED_DAYS) * 86400);
  });

  it('mark the secrets, whose values an error never shows', () => {
    expect([...SECRET_VARIABLES].sort()).toEqual(['ADMIN_TOKEN', 'ADMIN_WRITE_TOKEN', 'ARTIFACT_LINK_SECRET', 'METRICS_TOKEN', 'MICROSOFT_APP_PASSWORD', 'SMTP_URL']);
  });
});

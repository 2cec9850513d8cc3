// The pure parts of the command line: what enqueue checks against the
// environment (the worker's own rules, processors/prologue.ts), the words
// of sync's dry run and of a failed attempt, the demo's printed paths and
// environment lines, and TEAMS_DEFAULT_SERVICE_URL.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { JOB_SCHEMAS, type JobByQueue } from '../../src/contracts/index.js';
import { describeAttempt, environmentRefusal } from '../../src/commands/enqueue.js';
import { describeStep } from '../../src/commands/schedules.js';
import { shownPath } from '../../src/demo/demo-stack.js';
import { envLines, envValue } from '../../src/demo/serve-demo.js';
import { environmentProblems } from '../../src/processors/prologue.js';

const FRONT = 'https://toucan.corp.com';
const BACK = 'https://api.toucan.corp.com';
const worker = (env: Record<string, string> = {}): Config => loadConfig({ FRONTEND_URL: FRONT, BACKEND_URL: BACK, ...env });
const job = <Q extends keyof JobByQueue>(queue: Q, data: unknown): JobByQueue[Q] => JOB_SCHEMAS[queue].parse(data) as JobByQueue[Q];

describe('environmentProblems (what enqueue refuses before adding)', () => {
  it('accepts what the worker takes', () => {
    const config = worker({ SMTP_URL: 'smtp://u:p@mail:587', MAIL_FROM: 'a@corp.com', RECIPIENT_DOMAINS: 'corp.com', MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'x' });
    const share = job('screenshot', { url: '/demo', deliver: [{ type: 'email', to: ['a@corp.com'] }, { type: 'teams', channelId: '19:x@thread.tacv2' }] });
    expect(environmentProblems('screenshot', share, config)).toEqual([]);
  });

  it('names every problem of every kind, each with the code the worker would give', () => {
    const config = worker({ RECIPIENT_DOMAINS: 'corp.com', MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'x' });
    const alert = job('alert', {
      alertId: 'a',
      name: 'A',
      data: { url: 'https://elsewhere.example/kpi', valuePath: 'v' },
      condition: { operator: '>', threshold: 1 },
      story: { url: 'https://elsewhere.example/demo' },
      deliver: [{ type: 'teams', serviceUrl: 'https://smba.evil.example/', channelId: '19:x@thread.tacv2' }],
      onError: [{ type: 'email', to: ['x@gmail.com'] }],
    });
    const lines = environmentProblems('alert', alert, config).map((p) => `${p.code} ${p.problem}`);
    const expected = [
      /^FORBIDDEN_URL story\.url: the story URL https:\/\/elsewhere\.example is not on FRONTEND_URL's origin/,
      /^FORBIDDEN_URL data\.url: the data URL .* is not on BACKEND_URL's origin/,
      /^FORBIDDEN_URL deliver\.0 \(teams\): the Teams service URL "https:\/\/smba\.evil\.example\/" is not allowed/,
      /^INVALID_JOB onError\.0 \(email\): email is not configured on this worker \(SMTP_URL is not set\)$/,
      /^INVALID_JOB onError\.0 \(email\): x@gmail\.com is outside RECIPIENT_DOMAINS \(corp\.com\)$/,
    ];
    expect(lines).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(lines[i]).toMatch(pattern));
  });

  it('a Teams target without serviceUrl is checked as TEAMS_DEFAULT_SERVICE_URL, and says so', () => {
    const target = { type: 'teams', channelId: '19:x@thread.tacv2' };
    const share = job('screenshot', { url: '/demo', deliver: [target] });
    const bot = { MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'x' };
    expect(environmentProblems('screenshot', share, worker(bot))).toEqual([]);
    const [problem] = environmentProblems('screenshot', share, worker({ ...bot, TEAMS_SERVICE_URLS: 'https://127.0.0.1:4443/' }));
    expect(problem?.problem).toMatch(/"https:\/\/smba\.trafficmanager\.net\/teams\/" is not allowed.*\(TEAMS_DEFAULT_SERVICE_URL: the target names no serviceUrl\)$/);
  });

  it('a report for Teams needs signed links', () => {
    const bot = worker({ MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'x' });
    const report = job('pdf-report', { title: 'R', pages: [{ url: '/demo' }], deliver: [{ type: 'teams', channelId: '19:x@thread.tacv2' }] });
    const problems = environmentProblems('pdf-report', report, bot);
    expect(problems.map((p) => p.code)).toEqual(['INVALID_JOB']);
    expect(problems[0]?.problem).toMatch(/^deliver \(teams\): a report reaches Teams only as a signed link/);
    const linked = worker({ MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'x', PUBLIC_URL: 'https://courier.corp.com', ARTIFACT_LINK_SECRET: randomBytes(32).toString('hex') });
    expect(environmentProblems('pdf-report', report, linked)).toEqual([]);
  });

  it('checks URLs only where this environment sets their base (a worker cannot start without it)', () => {
    const config = loadConfig({});
    expect(environmentProblems('screenshot', job('screenshot', { url: 'https://anywhere.example/x' }), config)).toEqual([]);
  });

  it("enqueue's refusal: the worker's code, 'a check against this shell's configuration', each problem, the way out", () => {
    const refusal = environmentRefusal('screenshot', job('screenshot', { url: '/demo', deliver: [{ type: 'email', to: ['a@corp.com'] }] }), worker());
    expect(refusal).toBe(
      [
        "INVALID_JOB: a worker with this environment would refuse this screenshot job (a check against this shell's configuration, not only the contract); nothing was added:",
        '  - deliver.0 (email): email is not configured on this worker (SMTP_URL is not set)',
        'If the worker runs with other settings than this shell, add the job with --no-env-check.',
      ].join('\n'),
    );
  });
});

describe('TEAMS_DEFAULT_SERVICE_URL', () => {
  it("defaults to the cloud's global endpoint for proactive messages", () => {
    expect(loadConfig({}).teamsDefaultServiceUrl).toBe('https://smba.trafficmanager.net/teams/');
    expect(loadConfig({ MICROSOFT_CLOUD: 'gcc-high' }).teamsDefaultServiceUrl).toBe('https://smba.infra.gov.teams.microsoft.us/teams/');
  });

  it('is refused at start outside TEAMS_SERVICE_URLS', () => {
    expect(() => loadConfig({ TEAMS_DEFAULT_SERVICE_URL: 'https://stand-in.local/teams/' })).toThrow(ConfigError);
    expect(() => loadConfig({ TEAMS_DEFAULT_SERVICE_URL: 'https://stand-in.local/teams/' })).toThrow(/TEAMS_DEFAULT_SERVICE_URL="https:\/\/stand-in\.local\/teams\/" does not start with an entry of TEAMS_SERVICE_URLS/);
    expect(loadConfig({ TEAMS_DEFAULT_SERVICE_URL: 'https://stand-in.local/teams/', TEAMS_SERVICE_URLS: 'https://stand-in.local/' }).teamsDefaultServiceUrl).toBe('https://stand-in.local/teams/');
  });
});

describe('wording', () => {
  it("sync's dry run says what it would do, and 'unchanged' as such", () => {
    const step = (action: 'add' | 'update' | 'unchanged' | 'remove') => describeStep({ action, queue: 'alert', id: 'a' }, true).split(/\s+/).slice(0, -1).join(' ');
    expect([step('add'), step('update'), step('remove'), step('unchanged')]).toEqual(['would add', 'would update', 'would remove', 'unchanged']);
    expect(describeStep({ action: 'add', queue: 'alert', id: 'a', file: 'a.json' }, false)).toBe('add       alert/a (a.json)');
  });

  it('a failed attempt, with when the next one may start', () => {
    const failure = { jobId: '7', attempt: 1, attempts: 3, reason: 'SELECTOR_TIMEOUT: …', retryAt: 15_000 };
    expect(describeAttempt(failure, 10_000)).toBe('attempt 1 of 3 failed: SELECTOR_TIMEOUT: …; retrying in 5 s');
    expect(describeAttempt({ ...failure, retryAt: null }, 10_000)).toBe('attempt 1 of 3 failed: SELECTOR_TIMEOUT: …; retrying');
  });

  it('paths as people type them: relative inside the current directory, absolute outside (never ../../tmp/x)', () => {
    expect(shownPath('/home/me/courier/demo-out/mail', '/home/me/courier')).toBe('demo-out/mail');
    expect(shownPath('/tmp/x', '/home/me/courier')).toBe('/tmp/x');
    expect(shownPath('/home/me/courier-other/x', '/home/me/courier')).toBe('/home/me/courier-other/x');
  });
});

describe("the served demo's environment lines", () => {
  it('are read back unchanged by sh', () => {
    const values = { PLAIN: 'smtp://courier:abc_-9@127.0.0.1:2525', SPACED: 'Toucan <toucan@demo.example.com>', QUOTE: "it's", EMPTY: '' };
    const script = `${envLines(values).join('\n')}\nprintf '%s\\n' "$PLAIN" "$SPACED" "$QUOTE" "$EMPTY"`;
    expect(execFileSync('sh', ['-c', script], { encoding: 'utf8' })).toBe(`${Object.values(values).join('\n')}\n`);
    expect(envValue('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

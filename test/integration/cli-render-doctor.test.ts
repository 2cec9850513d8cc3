// `courier render` and `courier doctor` as an operator runs them: the real CLI, real Chromium.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import { SmtpSink } from '../../src/demo/smtp-sink.js';
import { GalleryStack } from '../fixtures/gallery/stack.js';
import { ToucanStack, runCli } from '../fixtures/index.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { freePort } from '../setup/redis.js';

let stack: ToucanStack;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'courier-cli-'));

beforeAll(async () => {
  stack = await ToucanStack.start();
  env = { FRONTEND_URL: stack.frontendUrl, BACKEND_URL: stack.backendUrl, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
});
afterAll(async () => stack?.close());

describe('courier render', () => {
  it('writes the PNG and exits 0, the token read from --token-file (never on the command line)', async () => {
    const out = join(dir, 'story.png');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${stack.token}\n`, { mode: 0o600 });
    const run = await runCli(['render', '/demo?slide=sales', '--out', out, '--token-file', tokenFile, '--scale', '2'], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('image/png, 2000×1040');
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([2000, 1040]);
    expect(showsChartNotLoader(png).chart).toBeGreaterThan(0.1);
  });

  it('takes the token from COURIER_TOKEN', async () => {
    const out = join(dir, 'revenue.png');
    const run = await runCli(['render', '/demo?slide=revenue', '--out', out], { ...env, COURIER_TOKEN: stack.token });
    expect(run.status).toBe(0);
    expect(showsChartNotLoader(decodePng(readFileSync(out))).chart).toBeGreaterThan(0.1);
  });

  it('writes nothing at --out and prints the coded error when the story is never ready', async () => {
    const out = join(dir, 'never.pdf');
    const run = await runCli(['render', '/demo?variant=never', '--out', out, '--timeout', '1500', '--token', stack.token], env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/^SELECTOR_TIMEOUT: waiting for selector/m);
    expect(run.stderr).toContain(`see ${out}.timeout.png`);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.timeout.png`)).toBe(true);
  });

  it('ends a story whose main thread hangs within its timeout, naming the unresponsive page', async () => {
    const gallery = await GalleryStack.start();
    try {
      const out = join(dir, 'hang.png');
      const galleryEnv = { ...env, FRONTEND_URL: gallery.frontendUrl, BACKEND_URL: gallery.backendUrl };
      const started = Date.now();
      const run = await runCli(['render', gallery.storyPath('hang'), '--out', out, '--timeout', '6000', '--selector', '.tc-story', '--token', gallery.token], galleryEnv, { timeoutMs: 120_000 });
      // Not a speed check: before, this command ran on for minutes (it was killed at 120 s).
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/^SELECTOR_TIMEOUT: waiting for selector "\.tc-story" failed: timeout 6000ms exceeded — still unmet: the page stopped responding/m);
      expect(existsSync(out)).toBe(false);
    } finally {
      await gallery.close();
    }
  });

  it('names every bad option at once, each by its flag, and exits 2 (a flag mistake)', async () => {
    const run = await runCli(['render', '/demo', '--out', join(dir, 'x.gif'), '--width', '5', '--scale', 'big', '--lang', '!!'], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^courier: render: 4 problems with the options; nothing was rendered:/);
    expect(run.stderr).toMatch(/^ {2}- --out: must end in \.png, \.jpeg, \.jpg or \.pdf/m);
    expect(run.stderr).toMatch(/^ {2}- --width: expected a whole number of CSS pixels from 100 to 8192 \(got "5"\)$/m);
    expect(run.stderr).toMatch(/^ {2}- --scale: expected a number from 0\.5 to 4 \(got "big"\)$/m);
    expect(run.stderr).toMatch(/^ {2}- --lang: /m);
    expect(run.stderr).not.toMatch(/NaN|viewport\./);
  });

  it('exits 2 without FRONTEND_URL, and for a flag commander refuses', async () => {
    const run = await runCli(['render', '/demo', '--out', join(dir, 'z.png')], { REDIS_URL: env.REDIS_URL! });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/FRONTEND_URL is required for this command/);
    const unknown = await runCli(['render', '/demo', '--out', join(dir, 'z.png'), '--colour', 'red'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);
  });

  it('refuses a URL outside FRONTEND_URL with FORBIDDEN_URL', async () => {
    const run = await runCli(['render', `${stack.forbiddenOrigin}/demo`, '--out', join(dir, 'f.png')], env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/^FORBIDDEN_URL: /);
    expect(stack.forbiddenRequests).toEqual([]);
  });

  it('stops at start naming every wrong variable, with status 2', async () => {
    const run = await runCli(['render', '/demo', '--out', join(dir, 'y.png')], { ...env, CONCURRENCY: 'lots', HTTP_PORT: '-1' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('CONCURRENCY');
    expect(run.stderr).toContain('HTTP_PORT');
  });
});

describe('courier doctor', () => {
  it('passes every check against a healthy stack', async () => {
    const run = await runCli(['doctor'], env);
    expect(run.status).toBe(0);
    for (const name of ['frontend DNS', 'frontend TCP', 'frontend HTTP', 'backend DNS', 'backend TCP', 'backend HTTP', 'redis', 'chromium']) {
      expect(run.stdout).toMatch(new RegExp(`^ok\\s+${name}\\s`, 'm'));
    }
  });

  it('fails, with a hint, when the frontend refuses connections or its host does not resolve', async () => {
    const run = await runCli(['doctor'], { ...env, FRONTEND_URL: `http://127.0.0.1:${await freePort()}`, BACKEND_URL: 'http://no-such-host.invalid' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+frontend TCP\s.*ECONNREFUSED/m);
    expect(run.stdout).toMatch(/^FAIL\s+backend DNS\s+no-such-host\.invalid/m);
    expect(run.stdout).toMatch(/hint: /);
    expect(run.stdout).toMatch(/^ok\s+redis\s.*answers PONG \(Redis [\d.]+\); one node, master 127\.0\.0\.1:\d+$/m);
  });

  it('exits 2 on a configuration mistake, naming each wrong variable on a FAIL line', async () => {
    const run = await runCli(['doctor'], { ...env, CONCURRENCY: 'lots' });
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/^FAIL\s+config\s+CONCURRENCY="lots": expected a whole number from 1 to 64$/m);
  });

  it('reports a Redis that does not answer', async () => {
    const run = await runCli(['doctor'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+redis\s.*nothing listens at the Redis address/m);
  });

  it('checks SMTP (authenticated, nothing sent) and the Teams token when they are configured', async () => {
    const sink = await SmtpSink.start({ auth: { user: 'courier', pass: 'right-password' } });
    const standIn = await BotConnectorStandIn.start({ apps: [{ appId: 'doctor-app', password: 'bot-secret', multiTenant: true }] });
    try {
      const teams = { MICROSOFT_APP_ID: 'doctor-app', MICROSOFT_LOGIN_URL: standIn.loginUrl, TEAMS_SERVICE_URLS: standIn.serviceUrlPrefix, MAIL_FROM: 'Toucan <reports@corp.com>' };
      const good = await runCli(['doctor'], { ...env, ...teams, SMTP_URL: sink.url(), MICROSOFT_APP_PASSWORD: 'bot-secret' });
      expect(good.stdout).toMatch(/^ok\s+smtp\s.*authenticated as courier/m);
      expect(good.stdout).toMatch(/^ok\s+teams token\s/m);
      expect(good.status).toBe(0);
      expect(sink.messages).toEqual([]);

      const bad = await runCli(['doctor'], { ...env, ...teams, SMTP_URL: sink.url({ user: 'courier', pass: 'wrong-password' }), MICROSOFT_APP_PASSWORD: 'wrong-secret' });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toMatch(/^FAIL\s+smtp\s.*authentication failed/m);
      // One hint style: on its own line under the check, never inline.
      expect(bad.stdout).toMatch(/authentication failed.*\n {6}hint: check the user and password in SMTP_URL/);
      expect(bad.stdout).not.toMatch(/Hint:/);
      expect(bad.stdout).toMatch(/^FAIL\s+teams token\s/m);
      expect(bad.stdout + bad.stderr).not.toContain('wrong-password');
      expect(bad.stdout + bad.stderr).not.toContain('wrong-secret');
    } finally {
      await sink.stop();
      await standIn.close();
    }
  });

  it('skips SMTP and Teams when they are not configured', async () => {
    const run = await runCli(['doctor'], env);
    expect(run.stdout).toMatch(/^skip\s+smtp\s+SMTP_URL is not set/m);
    expect(run.stdout).toMatch(/^skip\s+teams token\s+MICROSOFT_APP_ID is not set/m);
  });
});

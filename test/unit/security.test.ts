// The pure parts of issue 11: what Chromium is launched with, how refusals
// are named, what a finished job keeps, and which secrets are guessable.
import { describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumEnv, decideSandbox, egressArgs, headlessModeOf } from '../../src/browser/chromium.js';
import { localFileRefused } from '../../src/browser/page-observer.js';
import { mergeRefusals, RefusalLedger } from '../../src/browser/traffic/refusals.js';
import { loadConfig, redactCredentialsIn, type ConfigError } from '../../src/config.js';
import { withoutToken } from '../../src/queue/scrub.js';
import { secretWeakness } from '../../src/secret-strength.js';

describe('Chromium launch', () => {
  it('keeps the sandbox unless the worker is root or the operator opts out, and says why', () => {
    expect(decideSandbox('auto', false)).toEqual({ sandbox: true, warning: null });
    expect(decideSandbox(undefined, false).sandbox).toBe(true);
    expect(decideSandbox('auto', true).sandbox).toBe(false);
    expect(decideSandbox('auto', true).warning).toMatch(/root/);
    expect(decideSandbox('off', false).sandbox).toBe(false);
    expect(decideSandbox('off', false).warning).toMatch(/CHROMIUM_SANDBOX=off/);
    expect(chromiumArgs([], { sandbox: true })).not.toContain('--no-sandbox');
    expect(chromiumArgs([], { sandbox: false })).toContain('--no-sandbox');
  });

  it('routes everything through the proxy, loopback included, with no UDP and no name resolution', () => {
    expect(egressArgs('http://127.0.0.1:9')).toEqual([
      '--proxy-server=http://127.0.0.1:9',
      '--proxy-bypass-list=<-loopback>',
      '--webrtc-ip-handling-policy=disable_non_proxied_udp',
      '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ]);
  });

  it('starts a headless shell as one, and a full browser in its new headless mode', () => {
    expect(headlessModeOf('/usr/lib/chromium/chromium-headless-shell')).toBe('shell');
    expect(headlessModeOf('/home/ci/.cache/puppeteer/chrome-headless-shell/linux-156/chrome-headless-shell-linux64/chrome-headless-shell')).toBe('shell');
    expect(headlessModeOf('/usr/bin/chromium')).toBe(true);
    expect(headlessModeOf('/opt/google/chrome/chrome')).toBe(true);
  });

  it('names a local file the page was refused, in the words of either build', () => {
    expect(localFileRefused('Not allowed to load local resource: file:///etc/hostname')).toBe('file:///etc/hostname');
    expect(localFileRefused('Fetch API cannot load file:///etc/hostname. URL scheme "file" is not supported.')).toBe('file:///etc/hostname');
    expect(localFileRefused('Fetch API cannot load http://evil/x. Refused to connect')).toBeNull();
    expect(localFileRefused('Uncaught TypeError: x is undefined')).toBeNull();
  });

  it('gives Chromium an environment without any of the worker\'s secrets', () => {
    const env = chromiumEnv({
      PATH: '/usr/bin',
      HOME: '/home/courier',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      FONTCONFIG_PATH: '/etc/fonts',
      MICROSOFT_APP_PASSWORD: 'p',
      SMTP_URL: 'smtp://u:p@h',
      ARTIFACT_LINK_SECRET: 's',
      REDIS_URL: 'redis://:p@h',
      METRICS_TOKEN: 't',
      COURIER_TOKEN: 't',
      HTTPS_PROXY: 'http://corp-proxy:3128',
      NODE_OPTIONS: '--inspect',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/courier', LANG: 'C.UTF-8', TZ: 'UTC', FONTCONFIG_PATH: '/etc/fonts' });
  });
});

describe('refused attempts', () => {
  it('names a proxy refusal after what was seen attempting it, by URL or by host and port', () => {
    const merged = mergeRefusals(
      [{ url: 'http://evil:81/x', how: 'request' }, { url: 'turn:10.0.0.9:3478?transport=tcp', how: 'webrtc' }],
      [{ kind: 'tunnel', hostPort: 'evil:82' }, { kind: 'http', url: 'http://evil:83/y' }, { kind: 'tunnel', hostPort: '10.0.0.9:3478' }, { kind: 'tunnel', hostPort: 'other:443' }],
      [{ url: 'ws://evil:82/live', how: 'websocket' }, { url: 'http://evil:83/y', how: 'shared-worker' }],
    );
    expect(merged).toEqual([
      { url: 'http://evil:81/x', how: 'request' },
      { url: 'turn:10.0.0.9:3478?transport=tcp', how: 'webrtc' },
      { url: 'ws://evil:82/live', how: 'websocket' },
      { url: 'http://evil:83/y', how: 'shared-worker' },
      { url: 'other:443', how: 'tunnel' },
    ]);
  });

  it('keeps its lists short whatever a page does', () => {
    const ledger = new RefusalLedger();
    for (let i = 0; i < 1000; i++) ledger.refused(`http://evil/${i}`, 'request');
    expect(ledger.list()).toHaveLength(25);
  });
});

describe('secrets at rest and in messages', () => {
  it('drops the token from a finished payload, and leaves payloads without one alone', () => {
    expect(withoutToken({ url: '/s', auth: { token: 'T' }, title: 'x' })).toEqual({ url: '/s', title: 'x' });
    expect(withoutToken({ url: '/s' })).toBeNull();
    expect(withoutToken(null)).toBeNull();
  });

  it('replaces the password of any URL shown in a configuration error', () => {
    expect(redactCredentialsIn('redis://:hunter2@redis:6379/0')).toBe('redis://:***@redis:6379/0');
    expect(redactCredentialsIn('rediss://user:p%40ss@a:1,b:2')).toBe('rediss://user:***@a:1,b:2');
    expect(redactCredentialsIn('redis://redis:6379')).toBe('redis://redis:6379');
    let problems: string[] = [];
    try {
      loadConfig({ REDIS_URL: 'redis-nope://:hunter2@redis:6379' });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.join('\n')).toContain('REDIS_URL');
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it.each([
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', /one character/],
    ['abcabcabcabcabcabcabcabcabcabcabcabcabc', /pattern repeated/],
    ['abcdefghijklmnopqrstuvwxyz0123456789', /run of consecutive/],
    ['my-artifact-link-secret-password-changeme', /common words/],
    ['a-secret-of-32-characters-long!!', /common words|worth about/],
    ['Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3-x', /pattern repeated|worth about/],
    ['short', /shorter than 32/],
    ['3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e', /worth about 128/],
  ])('refuses a guessable ARTIFACT_LINK_SECRET: %s', (secret, why) => {
    expect(secretWeakness(secret)).toMatch(why);
  });

  it.each([
    ['openssl rand -hex 32', '9c1f3e5a7b9d0f2e4c6a8b0d2f4e6a8c0b2d4f6e8a0c2e4b6d8f0a2c4e6b8d0f'],
    ['openssl rand -base64 32', 'mF3q9Zk2Xv7pL0sT8wYb4Nc6Rj1Hd5Ga+QeUo2Ik9Ws='],
  ])('accepts a secret made by %s', (_how, secret) => {
    expect(secretWeakness(secret)).toBeNull();
  });
});

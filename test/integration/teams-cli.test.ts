// `courier teams channels` as an operator runs it: the real CLI in a child
// process, configured by environment, against the identity + Bot Connector
// stand-in on loopback.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotConnectorStandIn, type BotApp } from '../../src/demo/bot-connector.js';
import { fromRoot } from '../../src/paths.js';

const TEAM = '19:Qm9vbXNwZWNpYWw0fQ@thread.tacv2';
const app: BotApp = { appId: randomUUID(), password: `pw-${randomUUID()}`, tenantId: 'contoso-tenant-0002', multiTenant: false };
let standIn: BotConnectorStandIn;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function courier(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fromRoot('src', 'cli.ts'), ...args],
      // NODE_EXTRA_CA_CERTS (the loopback CA) comes from the test setup through process.env.
      { cwd: fromRoot(), env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    MICROSOFT_APP_ID: app.appId,
    MICROSOFT_APP_PASSWORD: app.password,
    MICROSOFT_APP_TENANT_ID: app.tenantId!,
    MICROSOFT_LOGIN_URL: standIn.loginUrl,
    TEAMS_SERVICE_URLS: standIn.serviceUrlPrefix,
    ...overrides,
  };
}

beforeAll(async () => {
  standIn = await BotConnectorStandIn.start({
    apps: [app],
    teams: {
      [TEAM]: [
        { id: TEAM, name: null },
        { id: '19:alerts0001@thread.tacv2', name: 'Alerts' },
        { id: '19:finance01@thread.tacv2', name: 'Finance · Q3' },
      ],
    },
  });
});

afterAll(async () => {
  await standIn?.close();
});

describe('courier teams channels', () => {
  it('lists the channels, id and name, one per line', async () => {
    const run = await courier(['teams', 'channels', TEAM, '--service-url', standIn.serviceUrl()], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([`${TEAM}\tGeneral`, '19:alerts0001@thread.tacv2\tAlerts', '19:finance01@thread.tacv2\tFinance · Q3']);
    expect(standIn.tokenRequests.at(-1)).toMatchObject({ tenant: 'contoso-tenant-0002', clientId: app.appId, status: 200 });

    const json = await courier(['teams', 'channels', TEAM, '--service-url', standIn.serviceUrl(), '--json'], env());
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toContainEqual({ id: '19:alerts0001@thread.tacv2', name: 'Alerts' });
  });

  it('fails with the reason when the bot is not in the team, worded as a listing (nothing was delivered, the token was fine)', async () => {
    const run = await courier(['teams', 'channels', '19:unknown@thread.tacv2', '--service-url', standIn.serviceUrl()], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^courier: cannot list the channels of team 19:unknown@thread\.tacv2: .*HTTP 403 BotNotInConversationRoster.*the bot is not installed in that team/m);
    expect(run.stderr).not.toMatch(/DELIVERY_FAILED|authentication failed/);
  });

  it('fails with the reason on a wrong password, never printing it', async () => {
    const run = await courier(['teams', 'channels', TEAM, '--service-url', standIn.serviceUrl()], env({ MICROSOFT_APP_PASSWORD: 'wrong-password-789' }));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/authentication failed/);
    expect(run.stderr).not.toContain('wrong-password-789');
  });

  it('refuses a service URL outside TEAMS_SERVICE_URLS, and says when Teams is not configured', async () => {
    const tokens = standIn.tokenRequests.length;
    const forbidden = await courier(['teams', 'channels', TEAM, '--service-url', 'https://smba.evil.example/emea/'], env());
    expect(forbidden.code).toBe(2); // a flag outside the configuration's allow-list: a configuration mistake
    expect(forbidden.stderr).toMatch(/^FORBIDDEN_URL: /);
    expect(standIn.tokenRequests.length).toBe(tokens);
    // Without --service-url: TEAMS_DEFAULT_SERVICE_URL, by default Microsoft's global endpoint of the cloud (public here), allow-listed like any other.
    const defaulted = await courier(['teams', 'channels', TEAM], env());
    expect(defaulted.stderr).toMatch(/^FORBIDDEN_URL: the Teams service URL "https:\/\/smba\.trafficmanager\.net\/teams\/" is not allowed/m);
    // Set to the stand-in, it is where the channels are asked for.
    const configured = await courier(['teams', 'channels', TEAM], env({ TEAMS_DEFAULT_SERVICE_URL: standIn.serviceUrl('teams') }));
    expect(configured.stderr).toBe('');
    expect(configured.stdout).toContain('19:alerts0001@thread.tacv2\tAlerts');

    const unconfigured = await courier(['teams', 'channels', TEAM, '--service-url', standIn.serviceUrl()], { MICROSOFT_APP_ID: '', MICROSOFT_APP_PASSWORD: '' });
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/MICROSOFT_APP_ID/);
  });
});

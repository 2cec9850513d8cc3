// `courier enqueue` as a process (node --import tsx src/cli.ts), against a
// real Redis and a worker rendering the fixture stack: the job id, the
// result JSON with --wait, the coded reason and exit status of a failed job,
// each failed attempt as it happens, an invalid job that adds nothing, a job
// this environment's worker would refuse that adds nothing either, and the
// token from --token-file.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobResult, type JobResult } from '../../src/contracts/result.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { fromRoot } from '../../src/paths.js';
import { bullConnection } from '../../src/redis/connection.js';
import { tempDir } from '../helpers/scope.js';
import { startWorld, type World } from '../helpers/world.js';

let world: World;
let stack: ToucanStack;
const dir = tempDir('enqueue');
let queue: Queue;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function courier(args: string[], stdin?: string, env: Record<string, string> = {}, onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('src', 'cli.ts'), ...args], {
      cwd: fromRoot(),
      env: { ...process.env, REDIS_URL: world.env.REDIS_URL, QUEUE_PREFIX: world.prefix, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const jobFile = (name: string, job: unknown): string => {
  const path = join(dir.path, name);
  writeFileSync(path, JSON.stringify(job));
  return path;
};

beforeAll(async () => {
  world = await startWorld({ name: 'queue-enqueue', queues: ['screenshot'], concurrency: 1 });
  stack = world.stack;
  queue = new Queue('screenshot', { connection: bullConnection(world.config, 'blocking').connection, prefix: world.prefix });
});

afterAll(async () => {
  await queue?.close();
  await world?.close();
  dir.remove();
});

describe('courier enqueue', () => {
  it('prints the job id, and the job runs', async () => {
    const run = await courier(['enqueue', 'screenshot', jobFile('ok.json', { url: '/demo?slide=sales&export=true', auth: { token: stack.token } })]);
    expect(run.status).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^\d+$/);
    expect(await queue.getJob(id)).toBeDefined();
  });

  it('--wait prints the result JSON (CONTRACT §4) on stdout and exits 0', async () => {
    const job = JSON.stringify({ url: '/demo?slide=revenue&export=true', auth: { token: stack.token }, format: 'pdf' });
    const run = await courier(['enqueue', 'screenshot', '-', '--wait', '--timeout', '90000'], job);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as JobResult;
    expect(jobResult.parse(result)).toEqual(result);
    expect(result.artifacts[0]).toMatchObject({ mime: 'application/pdf', pages: 1 });
    expect(run.stderr).toMatch(/^job \d+ added to screenshot; waiting/);
  });

  it('--wait on a failing job prints the coded reason on stderr and exits 1', async () => {
    const run = await courier(['enqueue', 'screenshot', jobFile('forbidden.json', { url: 'https://elsewhere.example.com/demo' }), '--wait', '--timeout', '60000']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^FORBIDDEN_URL: the story URL https:\/\/elsewhere\.example\.com is not on FRONTEND_URL's origin/m);
  });

  it('an invalid job names every problem, exits non-zero, and adds nothing', async () => {
    const before = await queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');
    const run = await courier(['enqueue', 'screenshot', jobFile('bad.json', { url: 'ftp://x', format: 'gif', colour: 'red', deliver: [{ type: 'fax' }] })]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^INVALID_JOB: the screenshot job does not match the contract \(\d+ problems\); nothing was added:/);
    for (const field of ['url: ', 'format: ', 'colour: unknown field', 'deliver.0.type: ']) expect(run.stderr).toContain(`  - ${field}`);
    expect(await queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed')).toBe(before);

    const notJson = await courier(['enqueue', 'alert', '-'], '{ "alertId": ');
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toMatch(/^INVALID_JOB: cannot read a JSON job from stdin/);
  });

  it('says so, with the reason, when Redis does not answer, and adds nothing', async () => {
    const run = await courier(['enqueue', 'screenshot', jobFile('ok2.json', { url: '/demo' })], undefined, { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 cannot be used \(nothing listens at the Redis address .*ECONNREFUSED.*\); nothing was added/);
  });

  it('refuses before adding what a worker with this environment would refuse, every problem named, and says it is a check against this environment', async () => {
    const count = () => queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');
    const before = await count();
    const workerEnv = { FRONTEND_URL: stack.frontendUrl, BACKEND_URL: stack.backendUrl, RECIPIENT_DOMAINS: 'corp.example.com', MICROSOFT_APP_ID: 'bot', MICROSOFT_APP_PASSWORD: 'bot-password' };
    const run = await courier(
      [
        'enqueue',
        'screenshot',
        jobFile('refused.json', {
          url: `${stack.forbiddenOrigin}/demo`,
          auth: { token: stack.token },
          deliver: [
            { type: 'email', to: ['someone@elsewhere.example.com'] },
            { type: 'teams', serviceUrl: 'https://smba.evil.example/emea/', channelId: '19:x@thread.tacv2' },
          ],
        }),
      ],
      undefined,
      workerEnv,
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^FORBIDDEN_URL: a worker with this environment would refuse this screenshot job \(a check against this shell's configuration, not only the contract\); nothing was added:/);
    for (const problem of [
      /- url: the story URL http:\/\/127\.0\.0\.1:\d+ is not on FRONTEND_URL's origin/,
      /- deliver\.0 \(email\): email is not configured on this worker \(SMTP_URL is not set\)/,
      /- deliver\.0 \(email\): someone@elsewhere\.example\.com is outside RECIPIENT_DOMAINS \(corp\.example\.com\)/,
      /- deliver\.1 \(teams\): the Teams service URL "https:\/\/smba\.evil\.example\/emea\/" is not allowed/,
    ]) {
      expect(run.stderr).toMatch(problem);
    }
    expect(run.stderr).toContain('--no-env-check');

    // A report for Teams needs signed links: refused without PUBLIC_URL, as the worker would; added with --no-env-check.
    const report = jobFile('report.json', { title: 'Weekly', auth: { token: stack.token }, pages: [{ url: '/demo?slide=sales' }], deliver: [{ type: 'teams', channelId: '19:x@thread.tacv2' }] });
    const linkless = await courier(['enqueue', 'pdf-report', report], undefined, { ...workerEnv, TEAMS_SERVICE_URLS: 'https://smba.trafficmanager.net/' });
    expect(linkless.status).toBe(1);
    expect(linkless.stderr).toMatch(/^INVALID_JOB: a worker with this environment would refuse this pdf-report job/);
    expect(linkless.stderr).toMatch(/- deliver \(teams\): a report reaches Teams only as a signed link .*: set PUBLIC_URL and ARTIFACT_LINK_SECRET/);
    expect(await count()).toBe(before);

    const reports = new Queue('pdf-report', { connection: bullConnection(world.config, 'blocking').connection, prefix: world.prefix });
    try {
      const forced = await courier(['enqueue', 'pdf-report', report, '--no-env-check'], undefined, workerEnv);
      expect(forced.status).toBe(0);
      expect(await reports.getJob(forced.stdout.trim())).toBeDefined();
    } finally {
      await reports.obliterate({ force: true });
      await reports.close();
    }
  });

  it('--token-file puts the token into auth.token, and the story renders with it', async () => {
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${stack.token}\n`, { mode: 0o600 });
    const run = await courier(['enqueue', 'screenshot', jobFile('no-token.json', { url: '/demo?slide=churn&export=true' }), '--token-file', tokenFile, '--wait', '--timeout', '90000']);
    expect(run.stderr).not.toContain('no auth.token');
    // Ready means the story's data came: the backend accepted the token (without it, it answers 401: the next test).
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as JobResult).artifacts[0]).toMatchObject({ mime: 'image/png' });
    // The token was in the job while it ran, and is gone from it now that it has finished (scrub.ts).
    const id = /^job (\d+) added/m.exec(run.stderr)?.[1] ?? '';
    expect((await queue.getJob(id))?.data).not.toHaveProperty('auth');

    const missing = await courier(['enqueue', 'screenshot', jobFile('x.json', { url: '/demo' }), '--token-file', join(dir.path, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--token-file .*nope: cannot read it \(ENOENT\)/);
  });

  it('--wait shows each failed attempt as it happens, while the job is still being retried', async () => {
    let jobId: string | null = null;
    let stateAtFirstFailure: Promise<string> | null = null;
    // Without a token the backend answers 401, and the story never leaves its loader.
    const run = await courier(['enqueue', 'screenshot', jobFile('unauthorised.json', { url: '/demo?slide=sales', timeoutMs: 800 }), '--wait'], undefined, {}, (stderr) => {
      jobId ??= /^job (\d+) added/m.exec(stderr)?.[1] ?? null;
      if (stateAtFirstFailure === null && jobId !== null && /attempt 1 of 3 failed/.test(stderr)) stateAtFirstFailure = queue.getJobState(jobId);
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('note: the job carries no auth.token');
    expect(run.stderr).toMatch(/^attempt 1 of 3 failed: SELECTOR_TIMEOUT: .*→ 401.*; retrying in \d+ s$/m);
    expect(run.stderr).toMatch(/^attempt 2 of 3 failed: SELECTOR_TIMEOUT: /m);
    expect(run.stderr).not.toMatch(/^attempt 3 of 3/m);
    // The last line is the final reason, once.
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^SELECTOR_TIMEOUT: /);
    // Told while the job was waiting for its retry, not after it had failed for good.
    expect(stateAtFirstFailure).not.toBeNull();
    expect(['delayed', 'waiting', 'active', 'prioritized']).toContain(await stateAtFirstFailure!);
  });
});

// `courier enqueue` as a process (node --import tsx src/cli.ts), against a
// real Redis and a worker rendering the fixture stack: the job id, the
// result JSON with --wait, the coded reason and exit status of a failed job,
// and an invalid job that adds nothing.
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

function courier(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('src', 'cli.ts'), ...args], {
      cwd: fromRoot(),
      env: { ...process.env, REDIS_URL: world.env.REDIS_URL, QUEUE_PREFIX: world.prefix, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
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
});

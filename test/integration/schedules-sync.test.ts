// `schedules sync` against a real Redis: adds, updates and removes the
// schedulers it manages, leaves the backend's own schedulers alone, and
// changes nothing when a file is invalid or conflicts.
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { fromRoot } from '../../src/paths.js';
import { bullConnection } from '../../src/redis/connection.js';
import { ScheduleSyncError, syncSchedules, type SyncStep } from '../../src/queue/schedules.js';
import { redisScope, tempDir } from '../helpers/scope.js';

const scope = redisScope('schedules');
const { prefix } = scope;
const config = loadConfig({ REDIS_URL: scope.url, QUEUE_PREFIX: prefix });
const dir = tempDir('schedules').path;
const queues = {
  screenshot: new Queue('screenshot', { connection: bullConnection(config, 'blocking').connection, prefix }),
  'pdf-report': new Queue('pdf-report', { connection: bullConnection(config, 'blocking').connection, prefix }),
  alert: new Queue('alert', { connection: bullConnection(config, 'blocking').connection, prefix }),
};

const writeJson = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 2));
const summary = (steps: SyncStep[]) => steps.map((s) => `${s.action} ${s.queue}/${s.id}`).sort();
const schedulerIds = async (): Promise<Record<string, string[]>> =>
  Object.fromEntries(
    await Promise.all(Object.entries(queues).map(async ([name, q]): Promise<[string, string[]]> => [name, (await q.getJobSchedulers()).map((s) => s.key).sort()])),
  );

beforeAll(() => {
  cpSync(fromRoot('jobs', 'examples', 'schedules'), dir, { recursive: true });
});

afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await scope.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('schedules sync', () => {
  it('adds the shipped example schedules with their cron, time zone or interval', async () => {
    // A scheduler the backend made from its own code: sync must never touch it.
    await queues.alert.upsertJobScheduler('backend-alert-42', { every: 60_000 }, { name: 'alert', data: { alertId: '42' } });

    const steps = await syncSchedules({ config, dir });
    expect(summary(steps)).toEqual(['add alert/revenue-alert', 'add pdf-report/weekly-sales-report', 'add screenshot/daily-sales-screenshot']);

    const weekly = await queues['pdf-report'].getJobScheduler('weekly-sales-report');
    expect(weekly).toMatchObject({ pattern: '0 8 * * MON', tz: 'Europe/Paris' });
    expect(weekly?.template?.data).toMatchObject({ title: 'Weekly sales review' });
    expect(weekly?.template?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 5000 } });
    const alert = await queues.alert.getJobScheduler('revenue-alert');
    expect(alert).toMatchObject({ every: 300_000 });
    // Each scheduler has its next job waiting as a delayed job.
    expect(await queues['pdf-report'].getDelayedCount()).toBe(1);
  });

  it('a second run with the same files changes nothing', async () => {
    const steps = await syncSchedules({ config, dir });
    expect(steps.map((s) => s.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('updates a changed file, removes a deleted one, adds a new one, and keeps the backend scheduler', async () => {
    writeJson('weekly-sales-report.json', {
      id: 'weekly-sales-report',
      queue: 'pdf-report',
      cron: '30 9 * * TUE',
      tz: 'America/New_York',
      data: { title: 'Weekly sales review (US)', pages: [{ url: '/demo?slide=sales' }] },
    });
    unlinkSync(join(dir, 'daily-sales-screenshot.json'));
    writeJson('churn.json', { id: 'churn-hourly', queue: 'screenshot', every: 3_600_000, data: { url: '/demo?slide=churn' } });

    const steps = await syncSchedules({ config, dir });
    expect(summary(steps)).toEqual([
      'add screenshot/churn-hourly',
      'remove screenshot/daily-sales-screenshot',
      'unchanged alert/revenue-alert',
      'update pdf-report/weekly-sales-report',
    ]);
    expect(await queues['pdf-report'].getJobScheduler('weekly-sales-report')).toMatchObject({ pattern: '30 9 * * TUE', tz: 'America/New_York' });
    expect(await schedulerIds()).toEqual({
      screenshot: ['churn-hourly'],
      'pdf-report': ['weekly-sales-report'],
      alert: ['backend-alert-42', 'revenue-alert'],
    });
  });

  it('names every invalid file and changes nothing', async () => {
    const before = await schedulerIds();
    writeJson('broken-cron.json', { id: 'broken', queue: 'screenshot', cron: '61 25 * * *', data: { url: '/demo' } });
    writeJson('bad-data.json', { id: 'bad-data', queue: 'alert', every: 60_000, data: { name: 'no alertId', colour: 'red' } });
    writeFileSync(join(dir, 'not-json.json'), '{ "id": ');
    unlinkSync(join(dir, 'churn.json')); // would be a removal, if sync went ahead

    const error = await syncSchedules({ config, dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleSyncError);
    const problems = (error as ScheduleSyncError).problems.join('\n');
    expect(problems).toMatch(/broken-cron\.json: cron: "61 25 \* \* \*" is not a valid cron expression/);
    expect(problems).toMatch(/bad-data\.json: data\.alertId: /);
    expect(problems).toMatch(/bad-data\.json: data\.colour: unknown field/);
    expect(problems).toMatch(/not-json\.json: not valid JSON/);
    expect(await schedulerIds()).toEqual(before);

    for (const f of ['broken-cron.json', 'bad-data.json', 'not-json.json']) unlinkSync(join(dir, f));
  });

  it('refuses a file whose id belongs to a scheduler it did not create', async () => {
    const before = await schedulerIds();
    const validAlert = { alertId: 'a', name: 'A', data: { url: '/kpi/a', valuePath: 'items.0.value' }, condition: { operator: '>', threshold: 1 } };
    writeJson('hijack.json', { id: 'backend-alert-42', queue: 'alert', every: 60_000, data: validAlert });
    const error = await syncSchedules({ config, dir }).catch((e: unknown) => e);
    expect((error as ScheduleSyncError).problems).toEqual([expect.stringMatching(/hijack\.json: the alert queue already has a scheduler "backend-alert-42" that schedules sync did not create/)]);
    expect(await schedulerIds()).toEqual(before);
    unlinkSync(join(dir, 'hijack.json'));
  });

  it('an empty directory removes only the schedulers sync manages', async () => {
    rmSync(dir, { recursive: true, force: true });
    const empty = mkdtempSync(join(tmpdir(), 'courier-schedules-empty-'));
    try {
      const steps = await syncSchedules({ config, dir: empty });
      expect(steps.every((s) => s.action === 'remove')).toBe(true);
      expect(await schedulerIds()).toEqual({ screenshot: [], 'pdf-report': [], alert: ['backend-alert-42'] });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

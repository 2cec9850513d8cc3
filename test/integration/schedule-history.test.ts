// Scheduled runs end to end: a real `courier worker` process (alerts only)
// on real Redis runs three job schedulers, one whose alert is sent, one with
// nothing to send and one whose data call keeps failing (retried once). Each
// run is one record, updated by its attempts; `courier schedules history`
// prints them; the worker's own /metrics has each schedule's last run, and
// the age of the oldest job of a queue nobody consumes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorkerProcess, workerCommand, workerStarted, type WorkerProcess } from '../../src/demo/worker-process.js';
import { createScheduleHistory, type ScheduleHistory, type ScheduleRun } from '../../src/history/store.js';
import { fromRoot } from '../../src/paths.js';
import { bullConnection } from '../../src/redis/connection.js';
import { startWorld, type World } from '../helpers/world.js';

const run = promisify(execFile);
let world: World;
let worker: WorkerProcess;
let history: ScheduleHistory;
let alerts: Queue;
let screenshots: Queue;
const WAITING_FOR_MS = 10 * 60_000;

function alertData(kpi: string) {
  return {
    alertId: `history-${kpi}`,
    name: `KPI ${kpi}`,
    auth: { token: world.stack.token },
    data: { url: `/kpi/${kpi}`, valuePath: 'items.0.value' },
    condition: { operator: '>', threshold: 100 },
    deliver: [{ type: 'email', to: [`${kpi}@corp.example.com`] }],
  };
}

async function schedule(id: string, kpi: string): Promise<void> {
  // Every hour: the first run is due now, the next one an hour later.
  await alerts.upsertJobScheduler(id, { every: 3_600_000 }, { name: 'alert', data: alertData(kpi), opts: { attempts: 2, backoff: { type: 'fixed', delay: 200 } } });
}

async function finishedRun(id: string): Promise<ScheduleRun> {
  let found: ScheduleRun | undefined;
  await expect
    .poll(async () => {
      [found] = await history.runs('alert', id);
      return found?.outcome;
    }, { timeout: 120_000, interval: 250 })
    .toMatch(/^(delivered|nothing-to-send|failed)$/);
  return found!;
}

async function metrics(): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${world.httpPort}/metrics`)).text();
  return text.split('\n');
}

function sample(lines: string[], name: string, labels: Record<string, string>): number | undefined {
  const line = lines.find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  world = await startWorld({ name: 'history', runtime: false });
  const connection = bullConnection(world.config, 'producer');
  alerts = new Queue('alert', { connection: connection.connection, prefix: world.prefix });
  screenshots = new Queue('screenshot', { connection: connection.connection, prefix: world.prefix });
  history = createScheduleHistory({ redis: world.connect(), prefix: world.prefix, retentionMs: 90 * 86_400_000 });
  world.stack.setKpi('above', { value: 150 });
  world.stack.setKpi('below', { value: 50 });
  world.stack.setKpi('broken', { value: 0, status: 500 });
  // Nobody consumes the screenshot queue here: this job waits, created ten minutes ago.
  await screenshots.add('screenshot', { url: '/demo?slide=sales' }, { timestamp: Date.now() - WAITING_FOR_MS });
  worker = spawnWorkerProcess({ ...world.env, POD_NAME: 'history-pod' }, { name: 'history' }, ['--queues', 'alert']);
  await worker.waitFor(workerStarted, 120_000, '"worker started"');
  await schedule('hist-delivered', 'above');
  await schedule('hist-nothing', 'below');
  await schedule('hist-failing', 'broken');
}, 180_000);

afterAll(async () => {
  const code = await worker?.stop();
  await alerts?.close();
  await screenshots?.close();
  await world?.close();
  expect(code).toBe(0);
});

describe('schedule history, from a real worker process', () => {
  it('records each run once, with its outcome, attempts, error and recipients', async () => {
    const delivered = await finishedRun('hist-delivered');
    expect(delivered).toMatchObject({ outcome: 'delivered', attempts: 1, maxAttempts: 2, error: null, recipients: ['above@corp.example.com'] });
    expect(delivered.startedAt).toBeGreaterThanOrEqual(delivered.dueAt);
    expect(delivered.endedAt).toBeGreaterThanOrEqual(delivered.startedAt!);

    expect(await finishedRun('hist-nothing')).toMatchObject({ outcome: 'nothing-to-send', attempts: 1, error: null, recipients: [] });

    // Two attempts, one record: retrying after the first, failed after the last.
    const failed = await finishedRun('hist-failing');
    expect(failed).toMatchObject({ outcome: 'failed', attempts: 2, maxAttempts: 2, error: { code: 'DATA_FAILED' } });
    expect(failed.error?.message).toContain('HTTP 500');
    expect(await history.runs('alert', 'hist-failing')).toHaveLength(1);
    // The worker logged both attempts: the record is per run, not per attempt.
    await worker.waitFor((l) => l.msg === 'job failed' && typeof l.jobId === 'string' && l.jobId.includes('hist-failing'), 30_000, 'the last attempt');
    expect(worker.lines.filter((l) => typeof l.jobId === 'string' && l.jobId.includes('hist-failing') && /^job (attempt )?failed/.test(l.msg ?? ''))).toHaveLength(2);
  });

  it('`courier schedules history <id>` prints the runs', async () => {
    const env = { ...process.env, ...world.env, LOG_LEVEL: 'error' };
    const cli = (...args: string[]) => run(process.execPath, [...workerCommand().slice(0, -1), 'schedules', 'history', ...args], { cwd: fromRoot(), env });
    const failing = await cli('hist-failing');
    expect(failing.stdout).toContain('alert/hist-failing: the latest 1 run');
    expect(failing.stdout).toMatch(/failed\s+attempt 2 of 2/);
    expect(failing.stdout).toContain('error: DATA_FAILED: ');
    const delivered = await cli('hist-delivered', '--queue', 'alert');
    expect(delivered.stdout).toMatch(/delivered\s+attempt 1 of 2/);
    expect(delivered.stdout).toContain('to: above@corp.example.com');
    const json = JSON.parse((await cli('hist-nothing', '--json')).stdout) as ScheduleRun[];
    expect(json).toMatchObject([{ scheduleId: 'hist-nothing', outcome: 'nothing-to-send' }]);
    const unknown = await cli('no-such-schedule');
    expect(unknown.stdout).toContain('no runs of a schedule "no-such-schedule" recorded');
  });

  it("the worker's /metrics: each live schedule's last run, and the oldest waiting job", async () => {
    const [delivered] = await history.runs('alert', 'hist-delivered');
    const [failed] = await history.runs('alert', 'hist-failing');
    const lines = await metrics();
    const last = (schedule: string, outcome: string) => sample(lines, 'courier_schedule_last_run_timestamp_seconds', { queue: 'alert', schedule, outcome });
    expect(last('hist-delivered', 'delivered')).toBeCloseTo(delivered!.endedAt! / 1000, 3);
    expect(last('hist-failing', 'failed')).toBeCloseTo(failed!.endedAt! / 1000, 3);
    expect(last('hist-nothing', 'nothing-to-send')).toBeGreaterThan(0);
    expect(last('hist-delivered', 'failed')).toBeUndefined();
    expect(lines.filter((l) => l.startsWith('courier_schedule_last_run_timestamp_seconds{')).every((l) => l.includes('worker="history-pod"'))).toBe(true);

    // The screenshot job has waited ten minutes at least; the alert queue's next runs are an hour away, not waiting.
    const screenshotAge = sample(lines, 'courier_queue_oldest_waiting_seconds', { queue: 'screenshot' })!;
    expect(screenshotAge).toBeGreaterThanOrEqual(WAITING_FOR_MS / 1000);
    expect(screenshotAge).toBeLessThan(WAITING_FOR_MS / 1000 + 3600);
    expect(sample(lines, 'courier_queue_oldest_waiting_seconds', { queue: 'alert' })).toBe(0);

    // A removed schedule keeps its history, but no longer has series.
    await alerts.removeJobScheduler('hist-nothing');
    expect(sample(await metrics(), 'courier_schedule_last_run_timestamp_seconds', { schedule: 'hist-nothing' })).toBeUndefined();
    expect(await history.runs('alert', 'hist-nothing')).toHaveLength(1);
  });
});

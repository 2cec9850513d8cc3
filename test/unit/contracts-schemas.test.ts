// The JSON Schemas in jobs/schemas/ are generated from the zod contracts and
// must not drift; every example in jobs/examples/ (schedules included) is
// valid; an invalid payload names every problem.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isQueueName, validateJob, QUEUE_NAMES } from '../../src/contracts/index.js';
import { renderJsonSchemas } from '../../src/contracts/json-schema.js';
import { CourierError } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { checkJob } from '../../src/queue/producer.js';
import { loadScheduleDir } from '../../src/queue/schedules.js';

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('jobs/schemas', () => {
  const generated = renderJsonSchemas();

  it('has one schema per queue, plus the result and schedule files', () => {
    expect([...generated.keys()].sort()).toEqual([...QUEUE_NAMES.map((q) => `${q}.schema.json`), 'result.schema.json', 'schedule.schema.json'].sort());
  });

  it.each([...generated.keys()])('%s matches the code (run `npm run schemas` after changing a contract)', (name) => {
    const onDisk = readFileSync(fromRoot('jobs', 'schemas', name), 'utf8');
    expect(onDisk).toBe(generated.get(name));
  });

  it('refuses unknown fields and marks required ones', () => {
    const schema = JSON.parse(generated.get('screenshot.schema.json') ?? '{}') as { additionalProperties: boolean; required: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['url']);
    const alert = JSON.parse(generated.get('alert.schema.json') ?? '{}') as { required: string[] };
    expect(alert.required).toEqual(expect.arrayContaining(['alertId', 'name', 'data', 'condition']));
  });
});

describe('jobs/examples', () => {
  const files = readdirSync(fromRoot('jobs', 'examples')).filter((f) => f.endsWith('.json'));

  it('has at least one example per queue', () => {
    for (const queue of QUEUE_NAMES) expect(files.some((f) => f.split('.')[0] === queue)).toBe(true);
  });

  it.each(files)('%s is a valid job of its queue (the name before the first dot)', (file) => {
    const queue = file.split('.')[0] ?? '';
    expect(isQueueName(queue)).toBe(true);
    if (!isQueueName(queue)) return;
    expect(checkJob(queue, readJson(fromRoot('jobs', 'examples', file)))).toEqual([]);
  });
});

describe('jobs/examples/schedules', () => {
  it('every shipped schedule is valid, one per queue', async () => {
    const { entries, problems } = await loadScheduleDir(fromRoot('jobs', 'examples', 'schedules'));
    expect(problems).toEqual([]);
    expect(entries.map((e) => e.schedule.queue).sort()).toEqual([...QUEUE_NAMES].sort());
    const weekly = entries.find((e) => e.schedule.queue === 'pdf-report')?.schedule;
    expect(weekly).toMatchObject({ cron: '0 8 * * MON', tz: 'Europe/Paris' });
    expect(entries.find((e) => e.schedule.queue === 'alert')?.schedule.every).toBe(300_000);
  });
});

describe('validation of payloads', () => {
  it('names every problem, unknown fields by name', () => {
    const problems = checkJob('screenshot', {
      url: 'ftp://elsewhere/x',
      format: 'gif',
      viewport: { width: 10 },
      deliver: [{ type: 'email', to: ['not-an-address'] }],
      colour: 'red',
      extra: 1,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^url: /),
        expect.stringMatching(/^format: /),
        expect.stringMatching(/^viewport\.width: /),
        expect.stringMatching(/^deliver\.0\.to\.0: /),
        'colour: unknown field',
        'extra: unknown field',
      ]),
    );
  });

  it('validateJob throws INVALID_JOB, which is not retried', () => {
    let error: unknown;
    try {
      validateJob('alert', { name: 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CourierError);
    expect((error as CourierError).code).toBe('INVALID_JOB');
    expect((error as CourierError).retried).toBe(false);
    expect((error as CourierError).message).toMatch(/alertId/);
  });

  it('applies the contract defaults', () => {
    const job = validateJob('screenshot', readJson(join(fromRoot('jobs', 'examples'), 'screenshot.json')));
    expect(job).toMatchObject({ format: 'png', annotations: [], viewport: { width: 1280, height: 618, deviceScaleFactor: 1 } });
  });
});

// The Prometheus rules of docs/operations.md, as an operator copies them,
// checked by the real promtool (Debian's `prometheus` package): they parse,
// and they fire on series that should fire and stay quiet on those that
// should not. Series carry the labels courier's /metrics gives them
// (schedule-history.test.ts scrapes a real worker for those).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { rulesOfOperations } from '../helpers/prometheus-rules.js';
import { tempDir } from '../helpers/scope.js';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const dir = tempDir('promtool');
afterAll(() => dir.remove());

const metric = 'courier_schedule_last_run_timestamp_seconds';
/** Unit tests of the rules: promtool's time starts at 0, one sample a minute for 12 days. */
const unitTests = `
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # Delivered at time 0, then never again.
      - series: '${metric}{queue="pdf-report", schedule="weekly-sales", outcome="delivered", worker="pod-a"}'
        values: '0x17280'
      # The same from a second pod: still one alert.
      - series: '${metric}{queue="pdf-report", schedule="weekly-sales", outcome="delivered", worker="pod-b"}'
        values: '0x17280'
      # Delivered every day: never late.
      - series: '${metric}{queue="pdf-report", schedule="daily-kpis", outcome="delivered", worker="pod-a"}'
        values: '0+60x17280'
      # Its failures don't matter while it is delivered.
      - series: '${metric}{queue="pdf-report", schedule="daily-kpis", outcome="failed", worker="pod-a"}'
        values: '0+60x17280'
      # Runs, always fails, never delivered.
      - series: '${metric}{queue="pdf-report", schedule="monthly-board", outcome="failed", worker="pod-a"}'
        values: '0+60x17280'
      # An alert with nothing to send for weeks is fine.
      - series: '${metric}{queue="alert", schedule="revenue-alert", outcome="nothing-to-send", worker="pod-a"}'
        values: '0+60x17280'
      - series: '${metric}{queue="alert", schedule="old-alert", outcome="delivered", worker="pod-a"}'
        values: '0x17280'
      # Waiting: the screenshot queue's oldest job ages from minute 10 (300 s at minute 15, over it after); the others never wait long.
      - series: 'courier_queue_oldest_waiting_seconds{queue="screenshot", worker="pod-a"}'
        values: '0x9 0+60x20'
      - series: 'courier_queue_oldest_waiting_seconds{queue="pdf-report", worker="pod-a"}'
        values: '0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0 240 0'
      - series: 'courier_queue_oldest_waiting_seconds{queue="alert", worker="pod-a"}'
        values: '0x30'
    alert_rule_test:
      - eval_time: 12m
        alertname: CourierJobsWaiting
      - eval_time: 15m
        alertname: CourierJobsWaiting
      - eval_time: 20m
        alertname: CourierJobsWaiting
        exp_alerts:
          - exp_labels: { severity: warning, queue: screenshot }
            exp_annotations:
              summary: "Jobs of the screenshot queue are waiting for more than 5 minutes"
              description: "See courier_queue_jobs and the workers' logs."
      - eval_time: 7d
        alertname: CourierScheduledReportNotDelivered
      - eval_time: 9d
        alertname: CourierScheduledReportNotDelivered
        exp_alerts:
          - exp_labels: { severity: warning, schedule: weekly-sales }
            exp_annotations:
              summary: "Scheduled report weekly-sales has not been delivered for 8 days"
              description: "See \`courier schedules history weekly-sales\`."
      - eval_time: 7d
        alertname: CourierScheduledReportNeverDelivered
      - eval_time: 9d
        alertname: CourierScheduledReportNeverDelivered
        exp_alerts:
          - exp_labels: { severity: warning, schedule: monthly-board }
            exp_annotations:
              summary: "Scheduled report monthly-board has run but not been delivered for 8 days"
              description: "See \`courier schedules history monthly-board\`."
`;

if (!existsSync(PROMTOOL)) console.warn(`${PROMTOOL} is missing: the Prometheus rules are not checked (apt-get install prometheus; scripts/setup.sh --dev installs it)`);

describe.skipIf(!existsSync(PROMTOOL))('Prometheus rules of docs/operations.md (promtool)', () => {
  it('parse', async () => {
    const rules = join(dir.path, 'rules.yml');
    writeFileSync(rules, rulesOfOperations());
    const { stdout } = await run(PROMTOOL, ['check', 'rules', rules]);
    expect(stdout).toContain('SUCCESS: 3 rules found');
  });

  it('fire on an undelivered report, a never-delivered one and a long wait, and not on the others', async () => {
    writeFileSync(join(dir.path, 'rules.yml'), rulesOfOperations());
    writeFileSync(join(dir.path, 'tests.yml'), unitTests);
    const { stdout } = await run(PROMTOOL, ['test', 'rules', 'tests.yml'], { cwd: dir.path });
    expect(stdout).toContain('SUCCESS');
  });

  it('the unit tests can fail: an expectation that the rules do not meet is refused', async () => {
    writeFileSync(join(dir.path, 'rules.yml'), rulesOfOperations());
    // At day 7 weekly-sales was delivered 7 days ago: claiming it fires must fail.
    writeFileSync(join(dir.path, 'wrong.yml'), unitTests.replace('      - eval_time: 7d\n        alertname: CourierScheduledReportNotDelivered\n', '      - eval_time: 7d\n        alertname: CourierScheduledReportNotDelivered\n        exp_alerts:\n          - exp_labels: { severity: warning, schedule: weekly-sales }\n'));
    const failure = await run(PROMTOOL, ['test', 'rules', 'wrong.yml'], { cwd: dir.path }).then(() => null, (err: unknown) => err as { stdout: string; stderr: string; code: number });
    expect(failure?.code).toBe(1);
    expect(`${failure?.stdout}${failure?.stderr}`).toMatch(/alertname: CourierScheduledReportNotDelivered, time: 1w\b[\s\S]*got:\[\]/);
  });
});

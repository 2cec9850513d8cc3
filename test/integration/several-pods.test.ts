// Two `courier worker` processes, as two pods: one Redis and queue prefix,
// one shared ARTIFACTS_DIR (the volume the README asks for), one
// ARTIFACT_LINK_SECRET, each its own HTTP port and POD_NAME. Pod A takes
// the screenshot queue and pod B the pdf-report queue, so each file is known
// to come from one pod: the signed links in the emails must work at either
// pod. Both pods sweep the shared directory when they start.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCompleted, spawnWorkerProcess, workerStarted, type WorkerProcess } from '../../src/demo/worker-process.js';
import { freePort } from '../setup/redis.js';
import { parse } from './email-fixtures.js';
import { startWorld, type World } from '../helpers/world.js';

const OLD_FILES = 120;
let world: World;
let podA: WorkerProcess;
let podB: WorkerProcess;
let portB: number;

function plantOldFiles(root: string): void {
  const old = new Date(Date.now() - 30 * 86_400_000);
  for (let i = 0; i < OLD_FILES; i++) {
    const dir = join(root, 'screenshot', `2026-01-${String((i % 4) + 1).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `old-${i}.png`);
    writeFileSync(file, 'old');
    utimesSync(file, old, old);
  }
}

beforeAll(async () => {
  // Every email carries links instead of attachments.
  world = await startWorld({ name: 'pods', runtime: false, env: { MAIL_MAX_ATTACHMENT_BYTES: '1', ARTIFACTS_TTL_DAYS: '7' } });
  plantOldFiles(world.artifactsDir);
  portB = await freePort();
  // Started together, so their start-up sweeps of the shared directory may overlap.
  podA = spawnWorkerProcess({ ...world.env, HTTP_PORT: String(world.httpPort), POD_NAME: 'pod-a' }, { name: 'pod-a' }, ['--queues', 'screenshot']);
  podB = spawnWorkerProcess({ ...world.env, HTTP_PORT: String(portB), POD_NAME: 'pod-b' }, { name: 'pod-b' }, ['--queues', 'pdf-report']);
  await Promise.all([podA, podB].map((pod) => pod.waitFor(workerStarted, 60_000, '"worker started"')));
});

afterAll(async () => {
  const codes = await Promise.all([podA, podB].filter(Boolean).map((pod) => pod.stop()));
  await world?.close();
  expect(codes).toEqual([0, 0]);
});

describe('several pods on one shared ARTIFACTS_DIR', () => {
  it('serve the signed links of files the other pod rendered', async () => {
    const { token } = world.stack;
    const share = await world.producer.enqueueAndWait(
      'screenshot',
      { url: '/demo?slide=sales', auth: { token }, deliver: [{ type: 'email', to: ['ada@corp.example.com'] }] },
      { timeoutMs: 120_000 },
    );
    const report = await world.producer.enqueueAndWait(
      'pdf-report',
      { title: 'Pods', auth: { token }, pages: [{ url: '/demo?slide=revenue' }], deliver: [{ type: 'email', to: ['bob@corp.example.com'] }] },
      { timeoutMs: 120_000 },
    );
    // Which pod ran which job, from their logs (a line may arrive just after the job's completion event).
    await podA.waitFor(jobCompleted(share.id), 30_000, `"job completed" of ${share.id}`);
    await podB.waitFor(jobCompleted(report.id), 30_000, `"job completed" of ${report.id}`);

    const artifacts = new Map([...share.result.artifacts, ...report.result.artifacts].map((a) => [a.path, a.sha256]));
    const links = (await Promise.all(world.smtp.messages.map(parse))).flatMap((mail) => [...String(mail.text).matchAll(/http:\/\/127\.0\.0\.1:\d+\/artifacts\/\S+/g)].map((m) => new URL(m[0])));
    const paths = links.map((l) => decodeURIComponent(l.pathname.slice('/artifacts/'.length)));
    expect(paths.some((p) => p.startsWith('screenshot/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('pdf-report/'))).toBe(true);
    for (const [i, link] of links.entries()) {
      for (const port of [world.httpPort, portB]) {
        link.port = String(port);
        const response = await fetch(link);
        expect(response.status, `${link.pathname} at port ${port}`).toBe(200);
        const body = Buffer.from(await response.arrayBuffer());
        expect(createHash('sha256').update(body).digest('hex')).toBe(artifacts.get(paths[i]!));
      }
    }
  });

  it("label every metric with the pod's name", async () => {
    for (const [pod, port, queue] of [['pod-a', world.httpPort, 'screenshot'], ['pod-b', portB, 'pdf-report']] as const) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const series = text.split('\n').filter((line) => line.startsWith('courier_'));
      expect(series.length).toBeGreaterThan(20);
      expect(series.filter((line) => !line.includes(`worker="${pod}"`))).toEqual([]);
      expect(series).toContainEqual(expect.stringMatching(new RegExp(`^courier_jobs_total\\{(?=.*queue="${queue}")(?=.*outcome="completed").*\\} 1$`)));
    }
  });

  it('swept the shared directory together at start: every old file deleted once, no sweep error', () => {
    const deleted = [podA, podB].flatMap((pod) => pod.lines.filter((l) => l.msg === 'artifacts older than ARTIFACTS_TTL_DAYS deleted').map((l) => Number(l.deletedFiles)));
    expect(deleted.reduce((sum, n) => sum + n, 0)).toBe(OLD_FILES);
    expect([podA, podB].flatMap((pod) => pod.lines.filter((l) => l.msg === 'artifact sweep failed'))).toEqual([]);
    expect(readdirSync(join(world.artifactsDir, 'screenshot')).filter((day) => day.startsWith('2026-01-'))).toEqual([]);
    expect(existsSync(join(world.artifactsDir, 'pdf-report'))).toBe(true);
  });
});

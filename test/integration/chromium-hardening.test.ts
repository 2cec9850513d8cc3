// Chromium as the container runs it: the worker as a normal user (not
// root), so Chromium keeps its sandbox, and Chromium started with an
// environment that holds none of the worker's secrets. A real job goes
// through it, sandbox and egress proxy included.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/pool.js';
import { RENDERER_NICE } from '../../src/browser/renderer-priority.js';
import { loadConfig } from '../../src/config.js';
import { startWorkerProcess, type WorkerProcess } from '../../src/demo/worker-process.js';
import { createLogger } from '../../src/log.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import type { Producer } from '../../src/queue/producer.js';
import { niceOf, processGroup, renderersOf } from '../helpers/processes.js';
import { tempDir } from '../helpers/scope.js';
import { startWorld, type World } from '../helpers/world.js';
import { fromRoot } from '../../src/paths.js';

const NOBODY = 65534;

/**
 * Why the worker cannot run as nobody here, or null when it can: it takes
 * root to start a process as another user, and nobody must be able to read
 * this checkout (a clone in a `mktemp -d` directory, mode 0700, is not).
 */
function nobodyCannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'the tests do not run as root, so they cannot start a worker as another user';
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(fromRoot('dist', 'src', 'cli.js'))})`], { uid: NOBODY, gid: NOBODY });
  return probe.status === 0 ? null : `user nobody cannot read this checkout (${fromRoot()}): clone it where every user may read it`;
}
const skipReason = nobodyCannotRun();
if (skipReason) console.warn(`chromium-hardening: skipped: ${skipReason}`);
const SECRETS = {
  MICROSOFT_APP_ID: 'hardening-bot',
  MICROSOFT_APP_PASSWORD: 'bot-password-that-chromium-must-never-see',
  SMTP_URL: 'smtp://reports:smtp-password-never-in-chromium@127.0.0.1:2525',
  MAIL_FROM: 'Toucan <toucan@corp.example.com>',
  PUBLIC_URL: 'http://127.0.0.1:9/',
  ARTIFACT_LINK_SECRET: '5d0c8e4a9b1f7e3c2a6d8f0b4e9c1a7d3f5b8e2c6a0d4f9b1e7c3a5d8f2b6e0c',
  METRICS_TOKEN: 'metrics-token-never-in-chromium',
};

let world: World;
let stack: ToucanStack;
let worker: WorkerProcess;
let producer: Producer;
const home = tempDir('nobody');

beforeAll(async () => {
  if (skipReason) return;
  world = await startWorld({ name: 'hardening', runtime: false });
  ({ stack, producer } = world);
  chownSync(home.path, NOBODY, NOBODY);
  chmodSync(home.path, 0o700);
  // The world's worker environment, with the secrets Chromium must never see, in a home of nobody's own.
  const env = { ...world.env, ...SECRETS, ARTIFACTS_DIR: join(home.path, 'artifacts'), HOME: home.path, TMPDIR: home.path, CONCURRENCY: '1' };
  worker = await startWorkerProcess(env, { name: 'hardening', uid: NOBODY, inheritEnv: false });
});

afterAll(async () => {
  await worker?.stop(30_000);
  await world?.close();
  home.remove();
});

describe.skipIf(skipReason !== null)('Chromium under a worker that is not root', () => {
  it('keeps its sandbox, and its environment holds none of the secrets', async () => {
    const launched = await worker.waitFor((l) => l.msg === 'chromium launched', 10_000);
    const pid = launched.chromiumPid as number;
    const pids = processGroup(pid);
    expect(pids.length).toBeGreaterThan(1); // the browser and its helpers
    for (const p of pids) {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      expect(cmdline).not.toContain('--no-sandbox');
      const environ = readFileSync(`/proc/${p}/environ`, 'utf8');
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(environ, `${name} in the environment of Chromium process ${p}`).not.toContain(value);
        expect(environ).not.toContain(`${name}=`);
      }
      expect(environ).not.toContain('REDIS_URL=');
    }
    expect(worker.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('sandbox is off'))).toBe(false);
  });

  it('renders a story through the sandbox and the egress proxy', async () => {
    const { result } = await producer.enqueueAndWait('screenshot', { url: '/demo?slide=sales', auth: { token: stack.token } }, { timeoutMs: 60_000 });
    expect(result.artifacts[0]?.mime).toBe('image/png');
    expect(stack.backendRequests.some((r) => r.authorization === `Bearer ${stack.token}`)).toBe(true);
    // Its renderers were forked in the sandbox's PID namespace, and still run below the browser's priority.
    const launched = await worker.waitFor((l) => l.msg === 'chromium launched', 10_000);
    expect(launched.rendererNice).toBe(RENDERER_NICE);
    const browser = launched.chromiumPid as number;
    const renderers = renderersOf(browser);
    expect(renderers.length).toBeGreaterThan(0);
    for (const pid of renderers) expect(niceOf(pid), `renderer ${pid}`).toBe(RENDERER_NICE);
    expect(niceOf(browser)).toBe(0);
  });
});

it('warns at start when the sandbox is off (as root, or CHROMIUM_SANDBOX=off)', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('warn', new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }));
  const pool = new BrowserPool({ config: loadConfig({ CHROMIUM_SANDBOX: 'off' }), log });
  try {
    await pool.warmUp();
    const pid = pool.browserPid()!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--no-sandbox');
  } finally {
    await pool.close();
  }
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 'warn', sandbox: false });
  expect(lines[0]?.msg).toMatch(/CHROMIUM_SANDBOX=off/);
});

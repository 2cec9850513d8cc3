// `courier demo --serve` as a newcomer uses it, with only the README and the
// docs: one served demo (its own Redis, its worker) in a fresh directory
// holding `jobs/` as a checkout does, and, against it,
//   - the README's newcomer steps, as written: their own annotated share in
//     the demo's mailbox folder, and a Teams card on the stand-in;
//   - every job of jobs/examples/ (the schedules too), all at once, each
//     result checked;
//   - every `npx courier` command of the README and the docs;
//   - the docs' Node snippets under plain node, in an empty project where
//     the packed courier was installed (npm pack, then npm install).
// Ctrl-C (SIGINT) then stops it all with status 0.
//
// `npx courier` runs the checkout's bin (README, set-up); here it is
// `node <checkout>/bin/courier.js`, from any directory. Both run dist/:
// `npm test` builds it first.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/contracts/result.js';
import { fromRoot } from '../../src/paths.js';
import { codeBlocks, courierCommands } from '../helpers/docs.js';
import { ANNOTATION_RED, CHART_BLUE, countColor, decodePng } from '../helpers/image.js';
import { pdfInfo } from '../helpers/pdf.js';
import { freePort } from '../setup/redis.js';

const COURIER = `node ${fromRoot('bin', 'courier.js')}`;
const home = mkdtempSync(join(tmpdir(), 'courier-newcomer-'));
const out = join(home, 'demo-out');
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
let demo: ChildProcess;
let demoExit: Promise<number | null>;
let stdout = '';
let env: Record<string, string> = {};
let packed: Promise<string>;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd: options.cwd ?? home, env: { ...baseEnv, ...options.env }, timeout: options.timeoutMs ?? 240_000, maxBuffer: 64 << 20 }, (err, out, errText) => {
      if (err && typeof err.code !== 'number' && !err.killed) return reject(new Error(`${command} could not run: ${err.message}`));
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errText });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** `courier …` with the demo's environment, from the newcomer's directory. */
const courier = (args: string[], input?: string): Promise<Run> => run(process.execPath, [fromRoot('bin', 'courier.js'), ...args], { env, input });

/** The demo's environment file: KEY=value lines (comments skipped), as `set -a; . demo.env` reads them. */
function readEnvFile(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'(.*)'$/, '$1')]));
}

/** npm pack this checkout, then install the tarball into an empty project: what docs/jobs.md tells a backend to do. */
async function packAndInstall(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'courier-backend-'));
  const pack = await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: fromRoot(), timeoutMs: 120_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(dir, pack.stdout.trim().split('\n').at(-1) ?? '');
  const app = join(dir, 'backend');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'backend', version: '1.0.0', private: true, type: 'module' }));
  // From the tarball, its dependencies from npm's cache where it has them (the registry otherwise).
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, timeoutMs: 420_000 });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
  return app;
}

beforeAll(async () => {
  // A checkout's jobs/ beside the demo's output, nothing else: README and docs name these paths.
  symlinkSync(fromRoot('jobs'), join(home, 'jobs'));
  packed = packAndInstall();
  packed.catch(() => undefined); // awaited by its test
  // A Redis of its own (none answers there), so the demo's prefix is no one else's.
  demo = spawn(process.execPath, [fromRoot('bin', 'courier.js'), 'demo', '--serve'], {
    cwd: home,
    env: { ...baseEnv, REDIS_URL: `redis://127.0.0.1:${await freePort()}`, HTTP_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demoExit = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
  let stderr = '';
  demo.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    demo.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('# Serving until Ctrl-C.')) resolve();
    });
    void demoExit.then((code) => reject(new Error(`courier demo --serve exited (${code}) before serving: ${stdout}${stderr}`)));
  });
  env = readEnvFile(join(out, 'demo.env'));
}, 180_000);

afterAll(async () => {
  if (!demo || demo.exitCode !== null) return;
  const workerPid = Number(/courier worker \(pid (\d+)\)/.exec(stdout)?.[1]);
  demo.kill('SIGINT');
  expect(await demoExit).toBe(0);
  expect(stdout).toContain('# stopping: the worker drains, then the stack stops');
  // Its worker drained and is gone (it runs in its own process group, out of Ctrl-C's reach).
  expect(() => process.kill(workerPid, 0)).toThrow();
}, 120_000);

/**
 * The chart's bars, left to right: their x ranges (runs of the chart's blue
 * along a row near the axis, below anything an annotation reaches) and
 * their tops (the highest blue pixel over that range), in image pixels.
 */
function bars(png: PNG): { x0: number; x1: number; top: number }[] {
  const blue = (x: number, y: number): boolean => countColor(png, CHART_BLUE, 12, { x, y, width: 1, height: 1 }) === 1;
  const row = Math.round(png.height * 0.8);
  const found: { x0: number; x1: number; top: number }[] = [];
  for (let x = 0; x < png.width; x++) {
    if (!blue(x, row)) continue;
    const last = found.at(-1);
    if (last && last.x1 === x - 1) last.x1 = x;
    else found.push({ x0: x, x1: x, top: row });
  }
  for (const bar of found) {
    for (let x = bar.x0; x <= bar.x1; x++) {
      for (let y = 0; y < bar.top; y++) {
        if (blue(x, y)) {
          bar.top = y;
          break;
        }
      }
    }
  }
  return found;
}

/**
 * The annotated example, looked at: its ellipse surrounds the top of the
 * East bar (the third of five, the tallest), its text sits to the right in
 * the chart's free space, and no annotation touches the title.
 */
function expectAnnotationsOnEast(png: PNG): void {
  const scale = png.width / 1000; // the story block is 1000 CSS px wide
  const found = bars(png);
  expect(found).toHaveLength(5);
  const east = found[2]!;
  expect(east.top).toBe(Math.min(...found.map((b) => b.top)));
  const band = { y: east.top - 25 * scale, height: 50 * scale };
  // The ellipse's left and right arcs, just outside the bar, at the height of its top.
  expect(countColor(png, ANNOTATION_RED, 40, { x: east.x0 - 25 * scale, width: 24 * scale, ...band })).toBeGreaterThan(20);
  expect(countColor(png, ANNOTATION_RED, 40, { x: east.x1 + 1, width: 24 * scale, ...band })).toBeGreaterThan(20);
  // It does not cut through the bar further down.
  expect(countColor(png, ANNOTATION_RED, 40, { x: east.x0, y: east.top + 60 * scale, width: east.x1 - east.x0, height: 200 * scale })).toBe(0);
  // The text, to the right of the ellipse, above the next bar.
  expect(countColor(png, ANNOTATION_RED, 40, { x: east.x1 + 40 * scale, y: east.top - 20 * scale, width: 200 * scale, height: 50 * scale })).toBeGreaterThan(200);
  // The title and subtitle (top left) are clear.
  expect(countColor(png, ANNOTATION_RED, 40, { x: 0, y: 0, width: 400 * scale, height: 90 * scale })).toBe(0);
}

describe('courier demo --serve', () => {
  it('prints the environment as KEY=value lines, the same as demo.env, with where the token file is', () => {
    for (const key of ['REDIS_URL', 'QUEUE_PREFIX', 'FRONTEND_URL', 'BACKEND_URL', 'SMTP_URL', 'MAIL_FROM', 'MICROSOFT_APP_ID', 'MICROSOFT_LOGIN_URL', 'TEAMS_SERVICE_URLS', 'TEAMS_DEFAULT_SERVICE_URL', 'NODE_EXTRA_CA_CERTS', 'PUBLIC_URL', 'COURIER_TOKEN']) {
      expect(env[key], key).toBeTruthy();
      expect(stdout).toContain(`\n${key}=`);
    }
    expect(stdout).toContain('demo-out/toucan-token (for --token-file)');
    expect(readFileSync(join(out, 'toucan-token'), 'utf8').trim()).toBe(env.COURIER_TOKEN);
    expect(stdout).toContain('set -a; . demo-out/demo.env; set +a');
  });

  it("the README's newcomer steps, run as written, put their own annotated share in the mailbox folder and a card on the Teams stand-in", async () => {
    const block = codeBlocks(readFileSync(fromRoot('README.md'), 'utf8'), 'sh').find((b) => b.marker?.startsWith('<!-- newcomer-steps'));
    expect(block).toBeDefined();
    const script = block!.code.replaceAll('npx courier', COURIER);
    // A fresh shell: nothing but PATH and HOME; the block sources the demo's environment itself.
    const steps = await run('bash', ['-e', '-o', 'pipefail', '-c', script]);
    expect(steps.stderr).not.toMatch(/FAIL|failed/);
    expect(steps.status).toBe(0);
    expect(steps.stdout).toMatch(/^ok\s+teams token/m);

    const mails = await Promise.all(readdirSync(join(out, 'mail')).filter((f) => f.endsWith('.eml')).map(async (f) => simpleParser(readFileSync(join(out, 'mail', f)))));
    const mine = mails.find((m) => (m.text ?? '').includes('My first share!'));
    expect(mine, 'the share with their own comment').toBeDefined();
    const png = mine!.attachments.find((a) => a.contentType === 'image/png');
    expectAnnotationsOnEast(decodePng(png!.content));

    const cards = readdirSync(join(out, 'teams'));
    const card = cards.find((f) => f.endsWith('.card.json') && readFileSync(join(out, 'teams', f), 'utf8').includes('Revenue for the board'));
    expect(card, 'the Teams card').toBeDefined();
    expect(cards).toContain(card!.replace('.card.json', '.image.jpg'));
  });

  it('runs every example of jobs/examples/, all at once, each to its expected result', async () => {
    const examples = readdirSync(fromRoot('jobs', 'examples')).filter((f) => f.endsWith('.json'));
    const checks: Record<string, (result: JobResult) => void> = {
      'screenshot.json': (r) => {
        expect(r.artifacts[0]?.mime).toBe('image/png');
        expect(r.deliveries).toEqual([]);
      },
      'screenshot.annotated-email.json': (r) => {
        expect(r.deliveries).toEqual([expect.objectContaining({ type: 'email', status: 'sent' })]);
        expectAnnotationsOnEast(decodePng(readFileSync(join(out, 'artifacts', r.artifacts[0]!.path))));
      },
      'screenshot.teams-jpeg.json': (r) => {
        expect(r.artifacts[0]?.mime).toBe('image/jpeg');
        expect(r.deliveries).toEqual([expect.objectContaining({ type: 'teams', channelId: '19:demo-sales@thread.tacv2', status: 'sent' })]);
      },
      'pdf-report.json': (r) => {
        const pdf = r.artifacts.find((a) => a.mime === 'application/pdf')!;
        expect(pdfInfo(join(out, 'artifacts', pdf.path)).Pages).toBe('4'); // the cover and three stories
        expect(r.deliveries).toEqual([expect.objectContaining({ type: 'email', status: 'sent' })]);
      },
      'alert.json': (r) => expect(r).toMatchObject({ state: 'ok', value: 1250, notified: false }),
    };
    // A new example needs its check here.
    expect(examples.sort()).toEqual(Object.keys(checks).sort());

    const schedules = join('jobs', 'examples', 'schedules');
    const sync = await courier(['schedules', 'sync', schedules, '--token-file', 'demo-out/toucan-token']);
    expect(sync.stderr).toBe('');
    expect(sync.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['add', 'add', 'add']);
    // Each schedule's job, run now rather than at its next cron time.
    const scheduled = readdirSync(fromRoot(schedules)).map((f) => JSON.parse(readFileSync(fromRoot(schedules, f), 'utf8')) as { id: string; queue: string; data: unknown });

    const runs = await Promise.all([
      ...examples.map(async (file) => ({ name: file, run: await courier(['enqueue', file.split('.')[0]!, join('jobs', 'examples', file), '--wait', '--timeout', '240000']) })),
      ...scheduled.map(async (s) => ({ name: `schedules/${s.id}`, run: await courier(['enqueue', s.queue, '-', '--wait', '--timeout', '240000'], JSON.stringify(s.data)) })),
    ]);
    for (const { name, run: r } of runs) {
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stderr, name).not.toMatch(/attempt \d+ of \d+ failed|note:/);
      const result = JSON.parse(r.stdout) as JobResult;
      checks[name]?.(result);
      if (name.startsWith('schedules/')) expect(result.artifacts.length + (result.state ? 1 : 0), name).toBeGreaterThan(0);
    }
    const empty = mkdtempSync(join(tmpdir(), 'courier-no-schedules-'));
    expect((await courier(['schedules', 'sync', empty])).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['remove', 'remove', 'remove']);
  });

  it('runs every `npx courier` command of the README and the docs, as written', async () => {
    const pages = ['README.md', ...readdirSync(fromRoot('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const commands = pages
      .flatMap((page) => courierCommands(readFileSync(fromRoot(page), 'utf8'), page))
      // Synopses (`[dir]`, `<file>`) are not commands; the demo itself is already running.
      .filter(({ command }) => !/\[|<[A-Za-z]/.test(command) && !/^npx courier demo\b/.test(command));
    expect(commands.length).toBeGreaterThan(8);
    // All at once, as several people would: each waits mostly on the worker.
    const results = await Promise.all(commands.map(async ({ where, command }) => ({ where, command, run: await run('bash', ['-e', '-o', 'pipefail', '-c', command.replace(/^npx courier/, COURIER)], { env }) })));
    for (const { where, command, run: r } of results) expect(r.status, `${where}: ${command}\n${r.stderr}`).toBe(0);
    expect(existsSync(join(home, 'sales.png')) && existsSync(join(home, 'sales.pdf'))).toBe(true);
  });

  it("runs the docs' Node snippets under plain node, importing the packed courier installed in an empty project", async () => {
    const app = await packed;
    const pages = ['README.md', ...readdirSync(fromRoot('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const snippets = pages.flatMap((page) => codeBlocks(readFileSync(fromRoot(page), 'utf8'), 'js').map((b) => ({ where: `${page}:${b.line}`, code: b.code })));
    expect(snippets.map((s) => s.where.split(':')[0])).toEqual(expect.arrayContaining(['docs/jobs.md', 'docs/alerts.md']));
    for (const { where, code } of snippets) {
      const file = join(app, `${where.replace(/[^\w]+/g, '-')}.mjs`);
      writeFileSync(file, code);
      const r = await run(process.execPath, [file], { cwd: app, env });
      expect(r.status, `${where}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stderr, where).toBe('');
    }

    // The same exports are typed: a TypeScript backend compiles against them (types from the package's exports).
    writeFileSync(
      join(app, 'typed.ts'),
      [
        "import { createProducer, type JobInputByQueue, type JobResult } from 'courier/producer';",
        "import { validateJob, type ScreenshotJob } from 'courier/contracts';",
        "const job: JobInputByQueue['screenshot'] = { url: '/demo' };",
        "const checked: ScreenshotJob = validateJob('screenshot', job);",
        "const producer = createProducer({ config: { redisUrl: 'redis://127.0.0.1:6379', queuePrefix: 'courier' } });",
        'const wait: Promise<{ id: string; result: JobResult }> = producer.enqueueAndWait(\'screenshot\', checked);',
        'void wait;',
        '',
      ].join('\n'),
    );
    const tsc = await run(process.execPath, [fromRoot('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'typed.ts'], { cwd: app });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 480_000);
});

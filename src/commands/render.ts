// `courier render <url> --out <file>`: one render, no Redis (CONTRACT §1).
// The options are checked with the same contract as a screenshot job, each
// problem named by its flag (exit 2, a flag mistake), and the file appears
// at --out only when the render succeeded.
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BrowserPool } from '../browser/pool.js';
import { createRenderer } from '../browser/render.js';
import { formatOfFileName } from '../artifacts/formats.js';
import { JOB_SCHEMAS, type JobByQueue } from '../contracts/index.js';
import { CourierError } from '../errors.js';
import { createLogger } from '../log.js';
import { screenshotRender } from '../processors/screenshot.js';
import { resolveStoryUrl } from '../urls.js';
import { failWith, startCommand, tokenOf, UsageError } from './shared.js';

interface RenderOptions {
  out: string;
  selector?: string;
  width?: string;
  height?: string;
  scale?: string;
  timeout?: string;
  token?: string;
  tokenFile?: string;
  lang?: string;
  timezone?: string;
}

export function register(program: Command): void {
  program
    .command('render')
    .description('render one story to a PNG, JPEG or PDF file (no Redis needed)')
    .argument('<url>', 'the story: a path resolved against FRONTEND_URL, or an absolute URL on its origin')
    .requiredOption('--out <file>', 'output file; its extension (.png, .jpeg/.jpg, .pdf) picks the format')
    .option('--selector <css>', 'element to wait for and capture (default SELECTOR)')
    .option('--width <px>', 'viewport width in CSS pixels', '1280')
    .option('--height <px>', 'viewport height in CSS pixels', '618')
    .option('--scale <factor>', 'deviceScaleFactor, from 0.5 to 4', '1')
    .option('--timeout <ms>', 'time for the story to become ready (default SELECTOR_TIMEOUT_MS)')
    .option('--token-file <file>', 'a file holding the bearer token for the backend (BACKEND_URL origin only); or set COURIER_TOKEN')
    .option('--token <token>', 'the bearer token itself (shows in the process list: prefer --token-file or COURIER_TOKEN)')
    .option('--lang <tag>', 'Accept-Language and navigator.language, e.g. fr-FR')
    .option('--timezone <iana>', 'time zone of the page, e.g. Europe/Paris')
    .action((url: string, options: RenderOptions) => renderCommand(url, options));
}

/** The flag (or argument) behind each field of the screenshot job that render builds, and what it expects. */
const FLAGS: Record<string, { flag: string; expects?: string }> = {
  url: { flag: '<url>' },
  format: { flag: '--out' },
  selector: { flag: '--selector' },
  timeoutMs: { flag: '--timeout', expects: 'milliseconds, a whole number from 100 to 600000' },
  'viewport.width': { flag: '--width', expects: 'a whole number of CSS pixels from 100 to 8192' },
  'viewport.height': { flag: '--height', expects: 'a whole number of CSS pixels from 100 to 8192' },
  'viewport.deviceScaleFactor': { flag: '--scale', expects: 'a number from 0.5 to 4' },
  lang: { flag: '--lang' },
  timezone: { flag: '--timezone' },
  'auth.token': { flag: '--token-file' },
};

/** What the options give, as a screenshot job, or every problem named by its flag. */
export function renderJob(url: string, options: RenderOptions, token: string | undefined): { job: JobByQueue['screenshot'] } | { problems: string[] } {
  const given: Record<string, string | undefined> = {
    timeoutMs: options.timeout,
    'viewport.width': options.width,
    'viewport.height': options.height,
    'viewport.deviceScaleFactor': options.scale,
  };
  const format = formatOfFileName(resolve(options.out)) ?? undefined;
  const problems = format ? [] : [`--out: must end in .png, .jpeg, .jpg or .pdf (got ${JSON.stringify(options.out)})`];
  // Number('big') is NaN: name the flag and what was typed, not "received NaN".
  const number = (field: string): number | undefined => {
    const text = given[field];
    return text === undefined ? undefined : text.trim() === '' ? Number.NaN : Number(text);
  };
  const result = JOB_SCHEMAS.screenshot.safeParse({
    url,
    format,
    selector: options.selector,
    timeoutMs: number('timeoutMs'),
    viewport: { width: number('viewport.width'), height: number('viewport.height'), deviceScaleFactor: number('viewport.deviceScaleFactor') },
    lang: options.lang,
    timezone: options.timezone,
    auth: token === undefined ? undefined : { token },
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path.join('.');
      const known = FLAGS[field];
      if (!known) problems.push(`${field}: ${issue.message}`);
      else if (known.expects) problems.push(`${known.flag}: expected ${known.expects} (got ${JSON.stringify(given[field])})`);
      else problems.push(`${known.flag}: ${issue.message}`);
    }
    return { problems };
  }
  return problems.length > 0 ? { problems } : { job: result.data };
}

async function renderCommand(url: string, options: RenderOptions): Promise<void> {
  // A story URL is a path on FRONTEND_URL, or an absolute URL on its origin: either way it needs FRONTEND_URL.
  const { config } = startCommand({ require: ['FRONTEND_URL'] });
  // A one-shot command: only warnings and errors unless LOG_LEVEL asks for more.
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const out = resolve(options.out);
  let pool: BrowserPool | null = null;
  try {
    const built = renderJob(url, options, await tokenOf(options));
    if ('problems' in built) {
      const count = `${built.problems.length} problem${built.problems.length === 1 ? '' : 's'}`;
      throw new UsageError(`render: ${count} with the options; nothing was rendered:\n${built.problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    const { job } = built;
    const storyUrl = resolveStoryUrl(job.url, config.frontendUrl);
    pool = new BrowserPool({ config, log, warnSandboxOff: false });
    const renderer = createRenderer({ config, pool, log });
    const result = await renderer.render({ ...screenshotRender(job, storyUrl, config), timeoutScreenshotPath: `${out}.timeout.png` });
    const [capture] = result.captures;
    if (!capture) throw new CourierError('BROWSER_CRASHED', 'the render produced no capture');
    // Write beside the target, then rename: --out never holds a partial file.
    const partial = `${out}.partial-${process.pid}`;
    await writeFile(partial, capture.data);
    await rename(partial, out).catch(async (err: unknown) => {
      await rm(partial, { force: true });
      throw err;
    });
    const size = capture.pages ? `${capture.pages} page(s)` : `${capture.width}×${capture.height}`;
    const t = result.timings;
    process.stdout.write(`${out} (${capture.mime}, ${size}, ${capture.data.length} bytes) open ${t.openMs} ms, ready ${t.readyMs} ms, capture ${t.captureMs} ms\n`);
  } catch (err) {
    await pool?.close();
    failWith(err);
  }
  await pool.close();
}

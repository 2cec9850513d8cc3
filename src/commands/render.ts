// `courier render <url> --out <file>`: one render, no Redis (CONTRACT §1).
// The options are checked with the same contract as a screenshot job, and
// the file appears at --out only when the render succeeded.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BrowserPool } from '../browser/pool.js';
import { createRenderer } from '../browser/render.js';
import { formatOfFileName } from '../artifacts/formats.js';
import { validateJob } from '../contracts/index.js';
import { CourierError } from '../errors.js';
import { createLogger } from '../log.js';
import { screenshotRender } from '../processors/screenshot.js';
import { resolveStoryUrl } from '../urls.js';
import { fail, startCommand } from './shared.js';

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
    .option('--width <px>', 'viewport width', '1280')
    .option('--height <px>', 'viewport height', '618')
    .option('--scale <factor>', 'deviceScaleFactor', '1')
    .option('--timeout <ms>', 'time for the story to become ready (default SELECTOR_TIMEOUT_MS)')
    .option('--token-file <file>', 'a file holding the bearer token for the backend (BACKEND_URL origin only); or set COURIER_TOKEN')
    .option('--token <token>', 'the bearer token itself (shows in the process list: prefer --token-file or COURIER_TOKEN)')
    .option('--lang <tag>', 'Accept-Language and navigator.language, e.g. fr-FR')
    .option('--timezone <iana>', 'time zone of the page, e.g. Europe/Paris')
    .action((url: string, options: RenderOptions) => renderCommand(url, options));
}

async function renderCommand(url: string, options: RenderOptions): Promise<void> {
  const { config } = startCommand();
  // A one-shot command: only warnings and errors unless LOG_LEVEL asks for more.
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const out = resolve(options.out);
  const format = formatOfFileName(out) ?? undefined;
  let pool: BrowserPool | null = null;
  try {
    const formatProblem = format ? [] : [`--out: must end in .png, .jpeg, .jpg or .pdf (got ${JSON.stringify(options.out)})`];
    const token = await tokenOf(options);
    const job = validateJob('screenshot', {
      url,
      format,
      selector: options.selector,
      timeoutMs: options.timeout === undefined ? undefined : Number(options.timeout),
      viewport: { width: Number(options.width), height: Number(options.height), deviceScaleFactor: Number(options.scale) },
      lang: options.lang,
      timezone: options.timezone,
      auth: token === undefined ? undefined : { token },
    }, formatProblem);
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
    fail(err);
  }
  await pool.close();
}

/**
 * The bearer token: --token-file, else COURIER_TOKEN, else --token (which
 * every user of the machine can read in the process list). A token file's
 * surrounding whitespace (a final newline) is not part of the token.
 */
async function tokenOf(options: RenderOptions): Promise<string | undefined> {
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.tokenFile, 'utf8');
    } catch (err) {
      throw new CourierError('INVALID_JOB', `--token-file ${options.tokenFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const token = text.trim();
    if (token === '') throw new CourierError('INVALID_JOB', `--token-file ${options.tokenFile}: the file is empty`);
    return token;
  }
  const fromEnv = process.env.COURIER_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  return options.token;
}

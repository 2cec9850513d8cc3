// Assembly off the main thread: a 100-page report while the event loop keeps
// ticking (as a BullMQ worker's lock renewal must), the heap cap, aborting,
// and the same thread started from compiled JavaScript (as in dist/).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_PAGES } from '../../src/contracts/pdf-report.js';
import { assembleReportOffThread, type AssembleRequest, type ReportPageInput } from '../../src/report/assemble.js';
import { fromRoot } from '../../src/paths.js';
import { CHART_BLUE, colorShare } from '../helpers/image.js';
import { pdfFile, pdfInfo, pdfOutlines, pdfPagePng, pdfText } from '../helpers/pdf.js';
import { startCaptureSession, type CapturedPage } from '../helpers/report-captures.js';

const run = promisify(execFile);
let captures: CapturedPage[];

beforeAll(async () => {
  const session = await startCaptureSession();
  try {
    captures = [await session.capture('sales'), await session.capture('revenue'), await session.capture('churn')];
  } finally {
    await session.close();
  }
});

/** `count` story pages cycling through the real captures; every third one raster only. */
function storyPages(count: number): ReportPageInput[] {
  return Array.from({ length: count }, (_, i) => {
    const capture = captures[i % captures.length]!;
    const title = `${capture.title} — week ${i + 1}`;
    return i % 3 === 2 ? { title, png: capture.png } : { ...capture, title };
  });
}

const request = (pages: AssembleRequest['pages']): AssembleRequest => ({
  title: 'Hundred-page report',
  smallApp: 'Sales Pulse',
  generatedAt: new Date('2026-11-23T07:00:00Z'),
  timezone: 'Europe/Paris',
  layout: { format: 'A4', landscape: true, cover: true, pageNumbers: true },
  pages,
});

describe('off the main thread', () => {
  it('assembles 100 pages while the main event loop keeps ticking', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    let ticksWhenDone = -1;
    try {
      const promise = assembleReportOffThread(request(storyPages(MAX_REPORT_PAGES)));
      const report = await promise;
      ticksWhenDone = ticks;
      const file = pdfFile(report.data, 'hundred');

      const info = pdfInfo(file);
      const coverPages = report.pages - MAX_REPORT_PAGES;
      expect(coverPages).toBeGreaterThanOrEqual(1);
      expect(Number(info.Pages)).toBe(report.pages);
      expect(report.choices.filter((c) => c === 'raster')).toHaveLength(33);
      const outlines = pdfOutlines(file);
      expect(outlines).toHaveLength(MAX_REPORT_PAGES + 1);
      expect(outlines[MAX_REPORT_PAGES]).toEqual({ title: 'sales — week 100', page: report.pages, kids: [] });
      // The contents continue past the cover, and every page number is right.
      expect(pdfText(file, 2)).toMatch(/CONTENTS \(CONTINUED\)/);
      expect(pdfText(file, report.pages)).toContain(`${report.pages} / ${report.pages}`);
      expect(colorShare(pdfPagePng(file, report.pages), CHART_BLUE)).toBeGreaterThan(0.05);
    } finally {
      clearInterval(timer);
    }
    // Timers ran while the thread worked: a blocked loop would fire at most once after it.
    expect(ticksWhenDone).toBeGreaterThan(3);
  });

  it('fails with a clear message when the thread runs out of its heap', async () => {
    await expect(assembleReportOffThread(request(storyPages(MAX_REPORT_PAGES)), { maxHeapMb: 16 })).rejects.toThrow(/ran out of memory \(thread heap capped at 16 MB\)/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const promise = assembleReportOffThread(request(storyPages(MAX_REPORT_PAGES)), { signal: controller.signal });
    controller.abort(new Error('job deadline'));
    await expect(promise).rejects.toThrow('job deadline');
  });

  it('refuses an invalid request before starting a thread', async () => {
    await expect(assembleReportOffThread(request([]))).rejects.toThrow(/1 to 100 pages/);
  });
});

describe('from compiled JavaScript, as in dist/', () => {
  // tsc output under node_modules/.cache, inside the package, so that
  // dependencies and package.json resolve as they do from dist/.
  const base = fromRoot('node_modules', '.cache', 'courier-report-thread-test');

  beforeAll(async () => {
    mkdirSync(base, { recursive: true });
    writeFileSync(
      join(base, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.json',
        compilerOptions: { outDir: 'out', rootDir: '../../..', noEmit: false, sourceMap: false, incremental: false },
        files: ['../../../src/report/assemble.ts', '../../../src/report/assemble-thread.ts'],
        include: [],
      }),
    );
    await run(fromRoot('node_modules', '.bin', 'tsc'), ['-p', join(base, 'tsconfig.json')], { cwd: fromRoot() });
  });

  it('starts the .js thread without tsx and assembles', async () => {
    const input = join(base, 'input.json');
    const output = join(base, 'output.pdf');
    const pages = storyPages(3).map((p) => ({ title: p.title, pdf: p.pdf ? Buffer.from(p.pdf).toString('base64') : null, png: p.png ? { ...p.png, data: Buffer.from(p.png.data).toString('base64') } : null }));
    writeFileSync(input, JSON.stringify(pages));
    const script = `
      import { readFileSync, writeFileSync } from 'node:fs';
      const { assembleReportOffThread } = await import(${JSON.stringify(join(base, 'out', 'src', 'report', 'assemble.js'))});
      const pages = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8')).map((p) => ({
        title: p.title,
        ...(p.pdf ? { pdf: Buffer.from(p.pdf, 'base64') } : {}),
        ...(p.png ? { png: { ...p.png, data: Buffer.from(p.png.data, 'base64') } } : {}),
      }));
      const report = await assembleReportOffThread({ title: 'Compiled', generatedAt: new Date(), layout: { format: 'A4', landscape: true, cover: true, pageNumbers: true }, pages });
      writeFileSync(${JSON.stringify(output)}, report.data);
      console.log(JSON.stringify({ pages: report.pages, choices: report.choices }));
    `;
    // A plain node, without tsx: the thread entry must be the compiled .js file.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: fromRoot(), env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    expect(JSON.parse(stdout)).toEqual({ pages: 4, choices: ['vector', 'vector', 'raster'] });
    expect(pdfInfo(pdfFile(readFileSync(output), 'compiled')).Title).toBe('Compiled');
  });
});


// `pdf-report`: several stories in one PDF, delivered on a schedule.
// Every page is rendered with the same fail-closed readiness as a
// screenshot, concurrently through the shared pool (bounded by
// CONCURRENCY). If any page fails, the job fails with that page's coded
// error and nothing is delivered. Each page is captured once, vector or
// raster as chosen from what the ready page holds (report/choose.ts), with
// the boxes a page break must not cut (a tall story goes over several PDF
// pages, report/bands.ts); only the first story, when vector, is also
// captured as a PNG, the message's thumbnail. Assembly runs off the event
// loop, so the job's lock keeps being renewed while a large report is put
// together.
import { setMaxListeners } from 'node:events';
import sharp from 'sharp';
import { concatRefusals } from '../browser/traffic/refusals.js';
import { attachmentFileName, mimeOf } from '../artifacts/formats.js';
import type { Capture, CaptureFormat, RenderResult } from '../browser/types.js';
import type { Viewport } from '../contracts/common.js';
import { MAX_REPORT_PAGES, type PdfReportJob } from '../contracts/pdf-report.js';
import type { Artifact, JobResult } from '../contracts/result.js';
import { CourierError, isCourierError } from '../errors.js';
import { runPhase } from '../phases.js';
import { assembleReportOffThread } from '../report/assemble.js';
import { chooseCapture, type Choice } from '../report/choose.js';
import type { StoryShape } from '../report/story-shape.js';
import type { AssembledReport } from '../report/types.js';
import { prologue, REPORT_TEAMS_NEEDS_LINKS, type Prologue } from './prologue.js';
import type { ProcessorDeps, ProcessorJob } from './types.js';

/** Report pages are captured at deviceScaleFactor 2, so a raster page prints at about 150 dpi or more. */
export const REPORT_VIEWPORT: Viewport = { width: 1280, height: 618, deviceScaleFactor: 2 };

/** Page sizes in PDF points, for the artifact's width and height. */
const PAGE_POINTS = { A4: [842, 595], Letter: [792, 612] } as const;

export async function processPdfReport(processorJob: ProcessorJob<'pdf-report'>, deps: ProcessorDeps): Promise<JobResult> {
  const { config } = deps;
  const job = processorJob.data;
  // Everything that can be refused is refused before the first page opens.
  const start = prologue(processorJob, deps, {
    stories: job.pages.map((page) => page.url),
    targets: job.deliver,
    teamsNeedsLinks: REPORT_TEAMS_NEEDS_LINKS,
  });
  const ctx = { jobId: processorJob.id, deliveryKey: processorJob.deliveryKey, startedAt: start.at, signal: deps.signal };

  // "Page n" names an untitled page in errors for operators; readers get it in their language (report/labels.ts, delivery/messages.ts).
  const titles = job.pages.map((page, i) => page.title ?? `Page ${i + 1}`);
  const readerTitles = job.pages.map((page) => page.title ?? '');
  const observe = deps.observePhase;
  const { value: rendered, ms: renderMs } = await runPhase('render', () => renderAllPages(job, start, titles, ctx, deps), { observe });

  const { value: report, ms: assembleMs } = await runPhase('assemble', () => assembleReportOffThread(
    {
      title: job.title,
      smallApp: job.smallApp,
      generatedAt: new Date(),
      timezone: job.timezone,
      lang: job.lang,
      layout: job.layout,
      pages: rendered.map(({ pdf, png, shape, choice }, i) => ({
        title: readerTitles[i] ?? '',
        description: job.pages[i]?.description,
        // The first story's PNG is the thumbnail only, when its page is vector.
        ...(choice?.choice !== 'raster' && pdf ? { pdf: pdf.data } : {}),
        ...(png && (choice?.choice === 'raster' || !pdf) ? { png: { data: png.data, width: png.width, height: png.height, deviceScaleFactor: (job.pages[i]?.viewport ?? REPORT_VIEWPORT).deviceScaleFactor } } : {}),
        ...(shape ? { shape: { width: shape.width, height: shape.height, blocks: shape.blocks } } : {}),
        ...(choice ? { chosen: choice.reason } : {}),
      })),
      maxBytes: config.mailMaxAttachmentBytes,
    },
    { signal: ctx.signal },
  ), { observe });
  deps.log.info({ jobId: ctx.jobId, pages: report.pages, bytes: report.bytes, choices: report.choices, reasons: report.reasons, breaks: breaksOf(report) }, 'report assembled');

  const firstPng = rendered[0]?.png;
  const thumbnail = firstPng ? await thumbnailOf(firstPng, (job.pages[0]?.viewport ?? REPORT_VIEWPORT).deviceScaleFactor, breaksOf(report)['0'] ?? []) : null;
  const artifacts = await saveReport(job, report, thumbnail, ctx, deps);
  const [pdfArtifact, thumbnailArtifact] = artifacts;

  const link = pdfArtifact && deps.links && job.deliver.length > 0 ? (await deps.links.link(pdfArtifact.path, 'browser')).url : undefined;
  const { value: deliveries, ms: deliverMs } =
    job.deliver.length === 0
      ? { value: [], ms: 0 }
      : await runPhase('deliver', () => deps.delivery.deliver({
          jobId: ctx.deliveryKey,
          targets: job.deliver,
          context: start.delivery,
          input: {
            kind: 'report',
            title: job.title,
            smallApp: job.smallApp,
            link,
            document: { data: Buffer.from(report.data), mime: mimeOf('pdf'), filename: attachmentFileName(job.title, 'pdf', 'report'), pages: report.pages, artifactPath: pdfArtifact?.path ?? null },
            image:
              thumbnail && thumbnailArtifact
                ? { data: thumbnail.data, mime: mimeOf('png'), width: thumbnail.width, height: thumbnail.height, artifactPath: thumbnailArtifact.path }
                : undefined,
            pageTitles: readerTitles,
            // The thumbnail is the first story: its alternative text names that story.
            story: { title: job.pages[0]?.title ?? job.title, description: job.pages[0]?.description },
            at: new Date(),
            timezone: job.timezone,
            lang: job.lang,
          },
        }), { observe });

  const sum = (key: 'openMs' | 'readyMs' | 'captureMs') => rendered.reduce((total, r) => total + r.timings[key], 0);
  return {
    artifacts,
    deliveries,
    diagnostics: { refused: concatRefusals(rendered.map((r) => r.diagnostics.refused)) },
    timings: { renderMs, openMs: sum('openMs'), readyMs: sum('readyMs'), captureMs: sum('captureMs'), assembleMs, ...(job.deliver.length > 0 ? { deliverMs } : {}) },
  };
}

interface ReportContext {
  jobId: string;
  deliveryKey: string;
  startedAt: Date;
  signal: AbortSignal;
}

interface RenderedPage {
  pdf: Capture | undefined;
  png: Capture | undefined;
  /** The page's survey and the choice made from it, before its capture. */
  shape: StoryShape | undefined;
  choice: Choice | undefined;
  timings: RenderResult['timings'];
  diagnostics: RenderResult['diagnostics'];
}

/**
 * Renders every page at once (the pool lets CONCURRENCY of them run); the
 * first failure aborts the others and fails the job with that page named.
 */
async function renderAllPages(job: PdfReportJob, start: Prologue<readonly string[]>, titles: string[], ctx: ReportContext, deps: ProcessorDeps): Promise<RenderedPage[]> {
  const stop = new AbortController();
  // Every page's render listens to this one signal (up to MAX_REPORT_PAGES of them).
  setMaxListeners(4 * MAX_REPORT_PAGES, stop.signal);
  const onJobAbort = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onJobAbort, { once: true });
  const pages = job.pages.map(async (page, i): Promise<RenderedPage> => {
    try {
      const url = start.urls[i];
      if (!url) throw new Error(`page ${i + 1} has no resolved URL`);
      let choice: Choice | undefined;
      // Chosen before capturing: one capture per page, and the first story's PNG as the thumbnail when its page is vector.
      const choose = (shape: StoryShape): CaptureFormat[] => {
        choice = chooseCapture(shape);
        return choice.choice === 'raster' ? ['png'] : i === 0 ? ['pdf', 'png'] : ['pdf'];
      };
      const story = { url, selector: page.selector, viewport: page.viewport ?? REPORT_VIEWPORT, formats: ['png'] satisfies CaptureFormat[] };
      const result = await deps.renderer.render({ ...start.render(story, { name: `page-${i + 1}`, signal: stop.signal }), choose });
      return {
        pdf: result.captures.find((c) => c.format === 'pdf'),
        png: result.captures.find((c) => c.format === 'png'),
        shape: result.shape,
        choice,
        timings: result.timings,
        diagnostics: result.diagnostics,
      };
    } catch (err) {
      throw pageError(err, i, job.pages.length, titles[i] ?? '');
    }
  });
  try {
    return await Promise.all(pages);
  } catch (err) {
    // Fail closed and fast: the other pages are no longer needed. Wait for
    // them to let go of their pages before the job ends.
    if (!stop.signal.aborted) stop.abort(err);
    await Promise.allSettled(pages);
    throw ctx.signal.aborted ? new CourierError('JOB_TIMEOUT', `the report did not finish within JOB_TIMEOUT_MS (${deps.config.jobTimeoutMs} ms)`) : err;
  } finally {
    ctx.signal.removeEventListener('abort', onJobAbort);
  }
}

/** Where each story taller than a page was broken (CSS px from its top), by story index: `{ "2": [978, 1898] }`. */
function breaksOf(report: AssembledReport): Record<string, number[]> {
  const breaks: Record<string, number[]> = {};
  for (const sheet of report.sheets) {
    if (sheet.kind === 'story' && sheet.band > 0) (breaks[String(sheet.story)] ??= []).push(Math.round(sheet.top * 10) / 10);
  }
  return breaks;
}

/** A thumbnail is at most this tall for its width: about a landscape page. */
const THUMBNAIL_ASPECT = 0.75;

/**
 * The first story as a picture for the message: a tall story (a Home) is
 * cut to its top, at its last page break within THUMBNAIL_ASPECT × its
 * width (so no panel is cut), else at that height. Shrunk whole into a
 * Teams card, a 4,000 px Home would be a strip nobody can read.
 */
async function thumbnailOf(png: Capture, deviceScaleFactor: number, breaks: number[]): Promise<Capture> {
  const maxCss = (png.width / deviceScaleFactor) * THUMBNAIL_ASPECT;
  if (png.height / deviceScaleFactor <= maxCss) return png;
  const cut = Math.max(0, ...breaks.filter((b) => b <= maxCss)) || maxCss;
  const height = Math.min(png.height, Math.round(cut * deviceScaleFactor));
  const data = await sharp(png.data).extract({ left: 0, top: 0, width: png.width, height }).png().toBuffer();
  return { ...png, data, height };
}

/** The page's own coded error, with the page named: `SELECTOR_TIMEOUT: page 3 of 5 ("Churn"): waiting for …`. */
function pageError(err: unknown, index: number, count: number, title: string): unknown {
  if (!isCourierError(err)) return err;
  return new CourierError(err.code, `page ${index + 1} of ${count} (${JSON.stringify(title)}): ${err.detail}`, { cause: err });
}

async function saveReport(job: PdfReportJob, report: AssembledReport, thumbnail: Capture | null, ctx: ReportContext, deps: ProcessorDeps): Promise<Artifact[]> {
  const [long, short] = PAGE_POINTS[job.layout.format];
  const [width, height] = job.layout.landscape ? [long, short] : [short, long];
  const pdf = await deps.artifacts.save({
    queue: 'pdf-report',
    jobId: ctx.jobId,
    at: ctx.startedAt,
    capture: { format: 'pdf', mime: mimeOf('pdf'), data: Buffer.from(report.data), width, height, pages: report.pages },
    signal: ctx.signal,
  });
  if (!thumbnail) return [pdf];
  // The first story as a picture: inline in the email, a thumbnail in the Teams card.
  const image = await deps.artifacts.save({ queue: 'pdf-report', jobId: ctx.jobId, at: ctx.startedAt, capture: thumbnail, variant: 'thumbnail', signal: ctx.signal });
  return [pdf, image];
}

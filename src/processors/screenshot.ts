// `screenshot` queue (Annotate & share, story comments): render one story,
// keep the file, then send it to the job's targets.
import type { Capture, RenderRequest } from '../browser/types.js';
import type { Config } from '../config.js';
import type { ScreenshotJob } from '../contracts/screenshot.js';
import type { DeliveryReport, JobResult } from '../contracts/result.js';
import type { MessageInput } from '../delivery/messages.js';
import { runPhase } from '../phases.js';
import { humanLink, resolveStoryUrl } from '../urls.js';
import { deliveryContext, type ProcessorDeps, type ProcessorJob } from './types.js';

const DEFAULT_TITLE = 'Toucan story';

/** A file name people see for an attached PDF: the title, tamed. */
export function documentFileName(title: string): string {
  const stem = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 _.-]+/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .replace(/^[.-]+/, '') // no hidden or option-like file names
    .slice(0, 80);
  return `${stem || 'story'}.pdf`;
}

/** What a screenshot job asks the renderer for (the queue and `courier render` alike), the config's defaults filled in. */
export function screenshotRender(data: ScreenshotJob, url: URL, config: Pick<Config, 'selector' | 'selectorTimeoutMs'>): RenderRequest {
  return {
    url,
    selector: data.selector ?? config.selector,
    timeoutMs: data.timeoutMs ?? config.selectorTimeoutMs,
    viewport: data.viewport,
    formats: [data.format],
    lang: data.lang,
    timezone: data.timezone,
    token: data.auth?.token,
    annotations: data.annotations,
  };
}

/** The message content of a share (pure). */
export function shareMessage(data: ScreenshotJob, storyUrl: URL, capture: Capture, artifactPath: string, at: Date): MessageInput {
  const title = data.title ?? data.smallApp ?? DEFAULT_TITLE;
  const input: MessageInput = {
    kind: 'share',
    title,
    smallApp: data.smallApp,
    link: data.link ?? humanLink(storyUrl),
    sharedBy: data.sharedBy,
    comment: data.comment,
    at,
    timezone: data.timezone,
    lang: data.lang,
  };
  if (capture.format === 'pdf') {
    input.document = { data: capture.data, mime: 'application/pdf', filename: documentFileName(title), pages: capture.pages ?? 1, artifactPath };
  } else {
    input.image = { data: capture.data, mime: capture.format === 'png' ? 'image/png' : 'image/jpeg', width: capture.width, height: capture.height, artifactPath };
  }
  return input;
}

export async function processScreenshot(job: ProcessorJob<'screenshot'>, deps: ProcessorDeps): Promise<JobResult> {
  const { config, renderer, delivery, artifacts, signal } = deps;
  const { data } = job;
  const at = new Date(job.startedAt);
  // FORBIDDEN_URL here, before any page opens.
  const url = resolveStoryUrl(data.url, config.frontendUrl);

  const rendered = await renderer.render({
    ...screenshotRender(data, url, config),
    timeoutScreenshotPath: artifacts.timeoutScreenshotPath(job.queue, job.id, at),
    signal,
  });
  const capture = rendered.captures[0];
  if (!capture) throw new Error(`the renderer returned no ${data.format} capture`);
  const artifact = await artifacts.save({ queue: job.queue, jobId: job.id, at, capture });

  let deliveries: DeliveryReport[] = [];
  let deliverMs: number | undefined;
  if (data.deliver.length > 0) {
    signal.throwIfAborted();
    const input = shareMessage(data, url, capture, artifact.path, new Date());
    const context = deliveryContext(job, deps);
    ({ value: deliveries, ms: deliverMs } = await runPhase('deliver', () => delivery.deliver({ jobId: job.deliveryKey, targets: data.deliver, input, context }), { observe: deps.observePhase }));
  }

  const { openMs, readyMs, annotateMs, captureMs } = rendered.timings;
  return {
    artifacts: [artifact],
    deliveries,
    diagnostics: { refused: rendered.diagnostics.refused },
    timings: {
      openMs,
      readyMs,
      ...(annotateMs !== undefined ? { annotateMs } : {}),
      captureMs,
      ...(deliverMs !== undefined ? { deliverMs } : {}),
    },
  };
}

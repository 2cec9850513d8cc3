// `screenshot` queue (Annotate & share, story comments): render one story,
// keep the file, then send it to the job's targets.
import { attachmentFileName, mimeOf } from '../artifacts/formats.js';
import type { Capture, RenderRequest } from '../browser/types.js';
import type { Config } from '../config.js';
import type { ScreenshotJob } from '../contracts/screenshot.js';
import type { DeliveryReport, JobResult } from '../contracts/result.js';
import type { MessageInput } from '../delivery/messages.js';
import { runPhase } from '../phases.js';
import { humanLink } from '../urls.js';
import { prologue, renderRequest, type StoryRender } from './prologue.js';
import type { ProcessorDeps, ProcessorJob } from './types.js';

const DEFAULT_TITLE = 'Toucan story';

/** The one story of a screenshot job. */
function storyOf(data: ScreenshotJob, url: URL): StoryRender {
  return { url, selector: data.selector, viewport: data.viewport, formats: [data.format], annotations: data.annotations };
}

/** What a screenshot job asks the renderer for (the queue and `courier render` alike), the config's defaults filled in. */
export function screenshotRender(data: ScreenshotJob, url: URL, config: Pick<Config, 'selector' | 'selectorTimeoutMs'>): RenderRequest {
  return renderRequest(data, storyOf(data, url), config);
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
    input.document = { data: capture.data, mime: mimeOf('pdf'), filename: attachmentFileName(title, 'pdf'), pages: capture.pages ?? 1, artifactPath };
  } else {
    const mime = mimeOf(capture.format);
    input.image = { data: capture.data, mime, width: capture.width, height: capture.height, artifactPath };
  }
  return input;
}

export async function processScreenshot(job: ProcessorJob<'screenshot'>, deps: ProcessorDeps): Promise<JobResult> {
  const { renderer, delivery, artifacts, signal } = deps;
  const { data } = job;
  // FORBIDDEN_URL and refused targets here, before any page opens.
  const start = prologue(job, deps, { stories: [data.url], targets: data.deliver });
  const [url] = start.urls;

  const rendered = await renderer.render(start.render(storyOf(data, url)));
  const capture = rendered.captures[0];
  if (!capture) throw new Error(`the renderer returned no ${data.format} capture`);
  const artifact = await artifacts.save({ queue: job.queue, jobId: job.id, at: start.at, capture, signal });

  let deliveries: DeliveryReport[] = [];
  let deliverMs: number | undefined;
  if (data.deliver.length > 0) {
    signal.throwIfAborted();
    const input = shareMessage(data, url, capture, artifact.path, new Date());
    ({ value: deliveries, ms: deliverMs } = await runPhase('deliver', () => delivery.deliver({ jobId: job.deliveryKey, targets: data.deliver, input, context: start.delivery }), { observe: deps.observePhase }));
  }

  const { openMs, readyMs, annotateMs, captureMs } = rendered.timings;
  return {
    artifacts: [artifact],
    deliveries,
    diagnostics: { refused: rendered.diagnostics.refused, ...(rendered.diagnostics.ignoredMotion?.length ? { ignoredMotion: rendered.diagnostics.ignoredMotion } : {}) },
    timings: {
      openMs,
      readyMs,
      ...(annotateMs !== undefined ? { annotateMs } : {}),
      captureMs,
      ...(deliverMs !== undefined ? { deliverMs } : {}),
    },
  };
}

// What every processor does before its first page opens, in one place, so
// the three queues cannot drift apart again (the screenshot processor once
// rendered a whole story before finding its recipient refused):
//
//   1. resolve every story URL against FRONTEND_URL (FORBIDDEN_URL off the stack);
//   2. check every delivery target the job may use: recipients inside
//      RECIPIENT_DOMAINS, Teams service URLs inside TEAMS_SERVICE_URLS, the
//      channels configured (INVALID_JOB, FORBIDDEN_URL);
//   3. hand back how this job's render requests, timeout screenshots and
//      deliveries are built: the configuration's defaults, the job's
//      language, time zone, token and budget, its artifact paths.
import type { CaptureFormat, RenderRequest } from '../browser/types.js';
import type { Config } from '../config.js';
import type { Target, Viewport } from '../contracts/common.js';
import type { Annotation } from '../contracts/screenshot.js';
import type { DeliveryContext } from '../delivery/types.js';
import { CourierError } from '../errors.js';
import { resolveStoryUrl } from '../urls.js';
import type { ProcessorDeps, ProcessorJob } from './types.js';

/** The fields of a payload that shape every render of its job (all three queues have them). */
export interface RenderSettings {
  timeoutMs?: number;
  lang?: string;
  timezone?: string;
  auth?: { token: string };
  /** Selectors whose motion is never waited for (added to IGNORE_SELECTOR). */
  ignore?: string[];
}

/** One story of a job as the job states it. */
export interface StoryRender {
  url: URL;
  selector?: string;
  viewport: Viewport;
  formats: CaptureFormat[];
  annotations?: Annotation[];
}

/**
 * A render request from a job's settings and one of its stories, the
 * configuration's defaults filled in (pure; the queue and `courier render`
 * alike).
 */
export function renderRequest(settings: RenderSettings, story: StoryRender, config: Pick<Config, 'selector' | 'selectorTimeoutMs'>): RenderRequest {
  return {
    url: story.url,
    selector: story.selector ?? config.selector,
    timeoutMs: settings.timeoutMs ?? config.selectorTimeoutMs,
    viewport: story.viewport,
    formats: story.formats,
    lang: settings.lang,
    timezone: settings.timezone,
    token: settings.auth?.token,
    annotations: story.annotations,
    ...(settings.ignore && settings.ignore.length > 0 ? { ignore: settings.ignore } : {}),
  };
}

export interface JobPlan<S extends readonly string[]> {
  /** The story URLs of the job as written (paths or absolute URLs). */
  stories: S;
  /** Every target the job may deliver to (an alert's `onError` included). */
  targets: Target[];
  /** Why a Teams target needs signed links, when it does (a PDF report reaches a channel only as a link). */
  teamsNeedsLinks?: string;
}

export interface Prologue<S extends readonly string[]> {
  /** The stories' URLs, resolved, in the plan's order. */
  urls: { [K in keyof S]: URL };
  /** When the attempt started: the artifacts' date folder. */
  at: Date;
  /**
   * The render request of one story of this job. `name` tells the story's
   * timeout screenshot apart from the job's others (`page-2`): the file is
   * `<jobId>[.<name>].timeout.png` beside the job's artifacts.
   */
  render(story: StoryRender, options?: { name?: string; signal?: AbortSignal }): RenderRequest;
  /** What a delivery borrows from the job: the attempt's deadline (JOB_TIMEOUT_MS), abort signal and log. */
  delivery: DeliveryContext;
}

/** Refuses what can be refused, before anything happens; then builds this job's requests. */
export function prologue<const S extends readonly string[]>(
  job: ProcessorJob,
  deps: Pick<ProcessorDeps, 'config' | 'delivery' | 'artifacts' | 'links' | 'signal' | 'log'>,
  plan: JobPlan<S>,
): Prologue<S> {
  const { config, artifacts } = deps;
  // map() keeps the length and order of the stories, which is what the tuple type says.
  const urls = plan.stories.map((url) => resolveStoryUrl(url, config.frontendUrl)) as { [K in keyof S]: URL };
  deps.delivery.check(plan.targets);
  if (plan.teamsNeedsLinks !== undefined && !deps.links && plan.targets.some((t) => t.type === 'teams')) {
    throw new CourierError('INVALID_JOB', `${plan.teamsNeedsLinks}: set PUBLIC_URL and ARTIFACT_LINK_SECRET on the worker, or remove the Teams target`);
  }
  const at = new Date(job.startedAt);
  const settings: RenderSettings = job.data;
  return {
    urls,
    at,
    render: (story, options = {}) => ({
      ...renderRequest(settings, story, config),
      timeoutScreenshotPath: artifacts.timeoutScreenshotPath(job.queue, job.id, at, options.name),
      signal: options.signal ?? deps.signal,
    }),
    delivery: { deadlineMs: job.startedAt + config.jobTimeoutMs, signal: deps.signal, log: deps.log },
  };
}

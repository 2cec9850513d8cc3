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
//
// `environmentProblems` asks steps 1 and 2 of a whole job without a worker
// (pure, every problem at once): `courier enqueue` refuses before adding
// what a worker with this environment would refuse at once.
import { hostname } from 'node:os';
import type { CaptureFormat, RenderRequest } from '../browser/types.js';
import type { Config } from '../config.js';
import type { Target, Viewport } from '../contracts/common.js';
import type { JobByQueue, QueueName } from '../contracts/index.js';
import type { Annotation } from '../contracts/screenshot.js';
import { targetProblems } from '../delivery/deliver.js';
import type { DeliveryContext } from '../delivery/types.js';
import { CourierError, errorMessage, isCourierError, type ErrorCode } from '../errors.js';
import { resolveBackendUrl, resolveStoryUrl } from '../urls.js';
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

/** Why a pdf-report's Teams target needs signed links. */
export const REPORT_TEAMS_NEEDS_LINKS = 'a report reaches Teams only as a signed link (bots cannot attach files in channels)';

/** The same sentence wherever a Teams target finds no signed links. */
function noLinks(why: string): string {
  return `${why}: set PUBLIC_URL and ARTIFACT_LINK_SECRET on the worker, or remove the Teams target`;
}

/** Refuses what can be refused, before anything happens; then builds this job's requests. */
export function prologue<const S extends readonly string[]>(
  job: ProcessorJob,
  deps: Pick<ProcessorDeps, 'config' | 'delivery' | 'artifacts' | 'links' | 'signal' | 'log' | 'attempt'>,
  plan: JobPlan<S>,
): Prologue<S> {
  const { config, artifacts } = deps;
  // map() keeps the length and order of the stories, which is what the tuple type says.
  const urls = plan.stories.map((url) => resolveStoryUrl(url, config.frontendUrl)) as { [K in keyof S]: URL };
  deps.delivery.check(plan.targets);
  if (plan.teamsNeedsLinks !== undefined && !deps.links && plan.targets.some((t) => t.type === 'teams')) {
    throw new CourierError('INVALID_JOB', noLinks(plan.teamsNeedsLinks));
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
    delivery: {
      deadlineMs: job.startedAt + config.jobTimeoutMs,
      signal: deps.signal,
      log: deps.log,
      attempt: deps.attempt,
      holder: `attempt ${job.attempt} of ${job.queue}/${job.id} on ${hostname()}:${process.pid}`,
    },
  };
}

// ---------------------------------------------------------------------------
// The same checks, before a job is added (`courier enqueue`)

/** What the environment check reads of the configuration: what a worker started with it would refuse a job for. */
export type EnvironmentConfig = Pick<
  Config,
  'frontendUrl' | 'backendUrl' | 'recipientDomains' | 'teamsServiceUrls' | 'teamsDefaultServiceUrl' | 'smtpUrl' | 'publicUrl' | 'artifactLinkSecret'
> & { microsoft: Pick<Config['microsoft'], 'appId'> };

export interface EnvironmentProblem {
  /** The code the worker's refusal would carry. */
  code: ErrorCode;
  /** Where and why, e.g. `deliver.0 (email): a@x.com is outside RECIPIENT_DOMAINS (corp.com)`. */
  problem: string;
}

/** The story URLs, backend requests and target lists of a job, each with the field that holds it. */
function partsOf<Q extends QueueName>(queue: Q, data: JobByQueue[Q]): { stories: [string, string][]; backend: [string, string][]; targets: [string, Target[]][]; teamsNeedsLinks?: string } {
  if (queue === 'pdf-report') {
    const job = data as JobByQueue['pdf-report'];
    return { stories: job.pages.map((page, i) => [`pages.${i}.url`, page.url]), backend: [], targets: [['deliver', job.deliver]], teamsNeedsLinks: REPORT_TEAMS_NEEDS_LINKS };
  }
  if (queue === 'alert') {
    const job = data as JobByQueue['alert'];
    return {
      stories: job.story ? [['story.url', job.story.url]] : [],
      backend: [['data.url', job.data.url]],
      targets: [['deliver', job.deliver], ['onError', job.onError ?? []]],
    };
  }
  const job = data as JobByQueue['screenshot'];
  return { stories: [['url', job.url]], backend: [], targets: [['deliver', job.deliver]] };
}

/**
 * Every reason a worker configured as `config` would refuse this (valid)
 * job before its first page, with the code it would fail with: story URLs
 * off FRONTEND_URL, a data URL off BACKEND_URL, recipients outside
 * RECIPIENT_DOMAINS, a channel that is not configured, a Teams service URL
 * not allowed, a report for Teams without signed links. Pure. URLs are only
 * checked when their base is set here (a worker cannot start without it).
 */
export function environmentProblems<Q extends QueueName>(queue: Q, data: JobByQueue[Q], config: EnvironmentConfig): EnvironmentProblem[] {
  const parts = partsOf(queue, data);
  const problems: EnvironmentProblem[] = [];
  const attempt = (field: string, check: () => unknown): void => {
    try {
      check();
    } catch (err) {
      problems.push({ code: isCourierError(err) ? err.code : 'INVALID_JOB', problem: `${field}: ${isCourierError(err) ? err.detail : errorMessage(err)}` });
    }
  };
  if (config.frontendUrl) for (const [field, url] of parts.stories) attempt(field, () => resolveStoryUrl(url, config.frontendUrl));
  if (config.backendUrl) for (const [field, url] of parts.backend) attempt(field, () => resolveBackendUrl(url, config.backendUrl));
  const rules = {
    recipientDomains: config.recipientDomains,
    teamsServiceUrls: config.teamsServiceUrls,
    teamsDefaultServiceUrl: config.teamsDefaultServiceUrl,
    emailConfigured: config.smtpUrl !== null,
    teamsConfigured: config.microsoft.appId !== null,
  };
  for (const [field, targets] of parts.targets) {
    const { forbidden, invalid } = targetProblems(targets, rules, field);
    problems.push(...forbidden.map((problem) => ({ code: 'FORBIDDEN_URL' as const, problem })), ...invalid.map((problem) => ({ code: 'INVALID_JOB' as const, problem })));
  }
  const linksConfigured = config.publicUrl !== null && config.artifactLinkSecret !== null;
  if (parts.teamsNeedsLinks !== undefined && !linksConfigured && parts.targets.some(([, targets]) => targets.some((t) => t.type === 'teams'))) {
    problems.push({ code: 'INVALID_JOB', problem: `deliver (teams): ${noLinks(parts.teamsNeedsLinks)}` });
  }
  return problems;
}

// The jobs of a scenario's stream: real payloads of the three queues, each
// with recipients of its own (one address per job and role, one Teams
// channel per job), so counting what the SMTP server and the Bot Connector
// received tells exactly which job reached whom, and how many times.
import type { AlertJobInput } from '../../src/contracts/alert.js';
import type { PdfReportJobInput } from '../../src/contracts/pdf-report.js';
import type { ScreenshotJobInput } from '../../src/contracts/screenshot.js';

export const MAIL_DOMAIN = 'chaos.example.com';

export interface Audience {
  /** Email addresses (To and Cc) of this job. */
  recipients: string[];
  /** Teams channel ids of this job. */
  channels: string[];
}

export interface StackRefs {
  token: string;
  /** A Bot Connector service URL the worker may post to. */
  serviceUrl: string;
}

export interface StoryOptions {
  /** The backend answers the story's data call after this many ms: the render is in flight that long. */
  delayMs?: number;
  /** A story variant of demo/site/story.js (e.g. "forbidden"). */
  variant?: string;
  slide?: 'sales' | 'revenue' | 'churn';
  email?: boolean;
  teams?: boolean;
}

/** The path the story asks the backend for: a scenario waits for it to know a render is in flight. */
export function dataPath(slide: string, delayMs: number): string {
  return `/data/${slide}?delay=${delayMs}`;
}

export function storyUrl(slide: string, delayMs: number, variant?: string): string {
  return `/demo?slide=${slide}&delay=${delayMs}${variant ? `&variant=${variant}` : ''}&export=true`;
}

function audience(scenario: string, n: number, options: { email?: boolean; teams?: boolean }): Audience {
  return {
    recipients: options.email === false ? [] : [`${scenario}-${n}-to@${MAIL_DOMAIN}`, `${scenario}-${n}-cc@${MAIL_DOMAIN}`],
    channels: options.teams === false ? [] : [`19:${scenario}-${n}@thread.tacv2`],
  };
}

function targets(refs: StackRefs, who: Audience): ScreenshotJobInput['deliver'] {
  const [to, cc] = who.recipients;
  return [
    ...(to ? [{ type: 'email' as const, to: [to], cc: cc ? [cc] : [], subject: `chaos ${to}` }] : []),
    ...who.channels.map((channelId) => ({ type: 'teams' as const, serviceUrl: refs.serviceUrl, tenantId: 'chaos-tenant', channelId })),
  ];
}

/** Annotate & share: a story, captured, mailed to two people and posted to a channel. */
export function shareJob(refs: StackRefs, scenario: string, n: number, options: StoryOptions = {}): { data: ScreenshotJobInput; audience: Audience } {
  const who = audience(scenario, n, options);
  const slide = options.slide ?? 'sales';
  return {
    audience: who,
    data: {
      url: storyUrl(slide, options.delayMs ?? 0, options.variant),
      title: `Chaos ${scenario} #${n}`,
      smallApp: 'Chaos',
      auth: { token: refs.token },
      sharedBy: 'The fault suite',
      comment: { author: 'chaos', text: `job ${n} of the ${scenario} stream` },
      deliver: targets(refs, who),
    },
  };
}

/** A scheduled report: two stories in one PDF, mailed. */
export function reportJob(refs: StackRefs, scenario: string, n: number): { data: PdfReportJobInput; audience: Audience } {
  const who = audience(scenario, n, { teams: false });
  return {
    audience: who,
    data: {
      title: `Chaos report ${scenario} #${n}`,
      smallApp: 'Chaos',
      auth: { token: refs.token },
      pages: [
        { url: storyUrl('revenue', 0), title: 'Monthly revenue' },
        { url: storyUrl('churn', 0), title: 'Churn by plan' },
      ],
      deliver: targets(refs, who),
    },
  };
}

/** A threshold alert whose KPI is above its threshold: the first evaluation triggers and posts once, with the story. */
export function alertJob(refs: StackRefs, scenario: string, n: number, kpi: string): { data: AlertJobInput; audience: Audience } {
  const who = audience(scenario, n, { email: false });
  return {
    audience: who,
    data: {
      alertId: `chaos-${scenario}-${n}`,
      name: `Chaos ${scenario} alert #${n}`,
      smallApp: 'Chaos',
      auth: { token: refs.token },
      data: { url: `/kpi/${kpi}`, valuePath: 'items.0.value' },
      condition: { operator: '>', threshold: 100 },
      story: { url: storyUrl('revenue', 0) },
      deliver: targets(refs, who),
    },
  };
}

/**
 * Payloads another producer might add, each breaking the contract in its
 * own way (the producer API refuses them, so they are added with BullMQ
 * directly): missing url, unknown fields, wrong types, a bad format, a
 * malformed target, a non-object.
 */
export function malformedPayload(n: number): unknown {
  const kinds: unknown[] = [
    { title: `no url ${n}` },
    { url: '/demo?slide=sales', colour: 'red', n },
    { url: 42 },
    { url: '/demo?slide=sales', format: 'gif' },
    { url: '/demo?slide=sales', deliver: [{ type: 'email', to: ['not-an-address'] }] },
    { url: '/demo?slide=sales', viewport: { width: 'wide' } },
    { url: 'ftp://elsewhere.example/story' },
    'just a string',
    null,
    { url: '/demo?slide=sales', deliver: [{ type: 'fax', number: n }] },
  ];
  return kinds[n % kinds.length];
}

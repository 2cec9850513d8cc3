// Fields shared by the three job payloads (CONTRACT §3, "Common fields").
// Schemas are strict: an unknown field is an error that names it.
import { z } from 'zod';

/** A story URL: a path resolved against FRONTEND_URL, or an absolute http(s) URL (its origin is checked at run time). */
export const storyUrl = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => s.startsWith('/') || /^https?:\/\//i.test(s), {
    message: 'expected a path starting with "/" or an absolute http(s) URL',
  });

export const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as Europe/Paris' },
);

export const lang = z.string().refine(
  (l) => {
    try {
      return Intl.getCanonicalLocales(l).length === 1;
    } catch {
      return false;
    }
  },
  { message: 'expected a BCP 47 language tag such as fr-FR' },
);

export const viewport = z.strictObject({
  width: z.number().int().min(100).max(8192).default(1280),
  height: z.number().int().min(100).max(8192).default(618),
  deviceScaleFactor: z.number().min(0.5).max(4).default(1),
});

export const auth = z.strictObject({
  token: z.string().min(1).max(16384),
});

export const selector = z.string().min(1).max(1000);
export const timeoutMs = z.number().int().min(100).max(600_000);
export const label = z.string().max(300);
/** Selectors whose endless motion is decoration, added to IGNORE_SELECTOR (CONTRACT §3). */
export const ignore = z.array(selector).max(50);

export const emailTarget = z.strictObject({
  type: z.literal('email'),
  to: z.array(z.email()).min(1).max(100),
  cc: z.array(z.email()).max(100).default([]),
  bcc: z.array(z.email()).max(100).default([]),
  subject: z.string().max(300).optional(),
  message: z.string().max(10_000).optional(),
  /** The language of this target's message; wins over the job's `lang` for its recipients. */
  lang: lang.optional(),
});

export const teamsTarget = z.strictObject({
  type: z.literal('teams'),
  // Optional: without it the worker's TEAMS_DEFAULT_SERVICE_URL (Microsoft's
  // global endpoint for proactive messages) is used, so jobs need not know
  // the tenant's region, and the demo's Teams stand-in is a setting, not a
  // URL written into every job.
  serviceUrl: z.url({ protocol: /^https?$/ }).optional(),
  tenantId: z.string().min(1).max(100).optional(),
  channelId: z.string().min(1).max(300),
  message: z.string().max(10_000).optional(),
  /** The language of this target's card; wins over the job's `lang`. */
  lang: lang.optional(),
});

export const target = z.discriminatedUnion('type', [emailTarget, teamsTarget]);
export const targets = z.array(target).max(50).default([]);

export type EmailTarget = z.infer<typeof emailTarget>;
export type TeamsTarget = z.infer<typeof teamsTarget>;
export type Target = z.infer<typeof target>;
export type Viewport = z.infer<typeof viewport>;

/** The fields every story-rendering job may carry. */
export const storyFields = {
  url: storyUrl,
  smallApp: label.optional(),
  title: label.optional(),
  selector: selector.optional(),
  timeoutMs: timeoutMs.optional(),
  viewport: viewport.default({ width: 1280, height: 618, deviceScaleFactor: 1 }),
  lang: lang.optional(),
  timezone: timezone.optional(),
  ignore: ignore.optional(),
  auth: auth.optional(),
  link: z.url({ protocol: /^https?$/ }).optional(),
  deliver: targets,
};

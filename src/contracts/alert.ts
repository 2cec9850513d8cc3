// `alert` queue: threshold alerts (CONTRACT §3).
import { z } from 'zod';
import { auth, label, lang, selector, storyUrl, targets, timeoutMs, timezone, viewport } from './common.js';

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export const alertJob = z.strictObject({
  alertId: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected 1 to 200 letters, digits, or _ . : -'),
  name: label.min(1),
  smallApp: label.optional(),
  auth: auth.optional(),
  lang: lang.optional(),
  timezone: timezone.optional(),
  timeoutMs: timeoutMs.optional(),
  link: z.url({ protocol: /^https?$/ }).optional(),
  data: z.strictObject({
    url: z.string().min(1).max(4096),
    method: z.enum(['GET', 'POST']).default('GET'),
    body: z.unknown().optional(),
    valuePath: z.string().regex(/^[^.]+(\.[^.]+)*$/, 'expected a dot-separated path such as items.0.value'),
  }),
  condition: z.strictObject({
    operator: z.enum(OPERATORS),
    threshold: z.number().finite(),
  }),
  notify: z.enum(['on-change', 'every-time']).default('on-change'),
  cooldownMinutes: z.number().min(0).max(525_600).default(0),
  story: z
    .strictObject({
      url: storyUrl,
      selector: selector.optional(),
      viewport: viewport.optional(),
    })
    .optional(),
  deliver: targets,
  onError: targets.optional(),
});

export type AlertJob = z.infer<typeof alertJob>;
export type AlertJobInput = z.input<typeof alertJob>;

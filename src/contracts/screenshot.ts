// `screenshot` queue: Annotate & share and story comments (CONTRACT §3).
import { z } from 'zod';
import { storyFields } from './common.js';

const point = z.tuple([z.number().finite(), z.number().finite()]);
const color = z
  .string()
  .regex(/^(#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]{3,20})$/, 'expected a hex colour (#e5484d) or a CSS colour name');
const style = {
  color: color.default('#e5484d'),
  strokeWidth: z.number().min(0.5).max(50).default(3),
};
const size = z.number().finite().min(0).max(20_000);

export const annotation = z.discriminatedUnion('type', [
  z.strictObject({ type: z.enum(['rect', 'ellipse']), x: z.number().finite(), y: z.number().finite(), width: size, height: size, ...style }),
  z.strictObject({ type: z.enum(['arrow', 'line']), from: point, to: point, ...style }),
  z.strictObject({ type: z.literal('path'), points: z.array(point).min(2).max(5000), ...style }),
  z.strictObject({ type: z.literal('text'), at: point, text: z.string().min(1).max(500), ...style }),
]);

export const screenshotJob = z.strictObject({
  ...storyFields,
  format: z.enum(['png', 'jpeg', 'pdf']).default('png'),
  annotations: z.array(annotation).max(200).default([]),
  comment: z.strictObject({ author: z.string().max(200), text: z.string().max(5000) }).optional(),
  sharedBy: z.string().max(200).optional(),
});

export type Annotation = z.infer<typeof annotation>;
export type ScreenshotJob = z.infer<typeof screenshotJob>;
export type ScreenshotJobInput = z.input<typeof screenshotJob>;

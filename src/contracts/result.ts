// The return value of a completed job (CONTRACT §4).
import { z } from 'zod';

export const artifact = z.strictObject({
  path: z.string(),
  mime: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  pages: z.number().int().nullable(),
});

export const deliveryStatus = z.enum(['sent', 'already-sent']);

export const deliveryReport = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('email'), to: z.array(z.string()), status: deliveryStatus, id: z.string() }),
  z.strictObject({ type: z.literal('teams'), channelId: z.string(), status: deliveryStatus, id: z.string() }),
]);

export const timings = z.record(z.string().regex(/^[a-z][A-Za-z]*Ms$/), z.number().min(0));

export const jobResult = z.strictObject({
  artifacts: z.array(artifact),
  deliveries: z.array(deliveryReport),
  timings,
  state: z.enum(['ok', 'triggered']).optional(),
  value: z.number().nullable().optional(),
  notified: z.boolean().optional(),
});

export type Artifact = z.infer<typeof artifact>;
export type DeliveryReport = z.infer<typeof deliveryReport>;
export type Timings = z.infer<typeof timings>;
export type JobResult = z.infer<typeof jobResult>;

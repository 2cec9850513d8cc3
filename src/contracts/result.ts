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

/** How a story tried to reach outside the network policy (see README, Security). */
export const refusedHow = z.enum(['request', 'navigation', 'redirect', 'iframe', 'worker', 'shared-worker', 'service-worker', 'websocket', 'webrtc', 'popup', 'eventsource', 'beacon', 'local-file', 'mdns', 'webtransport', 'prefetch', 'tunnel', 'http']);

/** What the rendered stories did that people should know of, although the job succeeded. */
export const jobDiagnostics = z.strictObject({
  /** Every attempt to reach outside the allowed origins, refused: its URL (or host:port) and how it was made. */
  refused: z.array(z.strictObject({ url: z.string(), how: refusedHow })),
  /** Endless motion the story kept up that was not waited for (decoration, or matched by IGNORE_SELECTOR / `ignore`), with why. */
  ignoredMotion: z.array(z.string()).optional(),
});

export const jobResult = z.strictObject({
  artifacts: z.array(artifact),
  deliveries: z.array(deliveryReport),
  timings,
  diagnostics: jobDiagnostics.optional(),
  state: z.enum(['ok', 'triggered']).optional(),
  value: z.number().nullable().optional(),
  notified: z.boolean().optional(),
});

export type Artifact = z.infer<typeof artifact>;
export type DeliveryReport = z.infer<typeof deliveryReport>;
export type Timings = z.infer<typeof timings>;
export type JobResult = z.infer<typeof jobResult>;
export type JobDiagnostics = z.infer<typeof jobDiagnostics>;

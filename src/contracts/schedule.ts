// A schedule file, in jobs/schedules/ or the directory given to sync (CONTRACT §3, Schedules).
import { z } from 'zod';
import { timezone } from './common.js';
import { QUEUE_NAMES } from './queues.js';

export const scheduleFile = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected 1 to 200 letters, digits, or _ . : -'),
    queue: z.enum(QUEUE_NAMES),
    cron: z.string().min(9).max(200).optional(),
    tz: timezone.optional(),
    every: z.number().int().min(1000).optional(),
    data: z.record(z.string(), z.unknown()),
  })
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), { message: 'give exactly one of "cron" or "every"' })
  .refine((s) => s.tz === undefined || s.cron !== undefined, { message: '"tz" only applies with "cron"' });

export type ScheduleFile = z.infer<typeof scheduleFile>;

// Secrets at rest: a job's bearer token is needed while the job may still
// run (its attempts and retries), and never after. Once a job has finished
// (completed, or failed for the last time), its payload in Redis is
// rewritten without `auth`, so the token does not sit there for as long as
// BullMQ keeps the job (JOBS_KEEP_COMPLETED_DAYS / JOBS_KEEP_FAILED_DAYS).
// A job scheduler's template keeps its token for as long as the schedule
// exists: each run needs it (see README, Security).
import type { Job } from 'bullmq';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** The payload without its token, or null when it has none. Pure. */
export function withoutToken(data: unknown): Record<string, unknown> | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !('auth' in data)) return null;
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  delete copy.auth;
  return copy;
}

/** Rewrites a finished job's stored payload without its token. */
export async function scrubFinishedJob(job: Job, log: Logger): Promise<void> {
  const scrubbed = withoutToken(job.data);
  if (!scrubbed) return;
  try {
    await job.updateData(scrubbed);
  } catch (err) {
    // Already removed (removeOnComplete), or Redis unreachable: the retention bounds how long it stays.
    log.debug({ queue: job.queueName, jobId: job.id, err: errorMessage(err) }, 'could not remove the token from a finished job');
  }
}

/** Keys whose values are credentials wherever they appear in job data, results or schedule templates. */
const SECRET_KEY = /token|password|passwd|secret|authorization|api[-_]?key|cookie/i;
export const HIDDEN = '(hidden)';

/**
 * A copy of any JSON value with every credential hidden: `auth` objects and
 * any key naming a token, password, secret, authorization, API key or
 * cookie. For what people and scripts are shown (the console, `courier
 * jobs`), never for what a worker runs. Pure.
 */
export function scrubSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = key === 'auth' || (SECRET_KEY.test(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean') ? HIDDEN : scrubSecrets(inner);
  }
  return copy;
}

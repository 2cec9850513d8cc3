// Validation entry point: queue name + raw data → typed job, or INVALID_JOB
// naming every problem (path and reason), unknown fields included.
import type { z } from 'zod';
import { CourierError } from '../errors.js';
import { alertJob, type AlertJob } from './alert.js';
import { pdfReportJob, type PdfReportJob } from './pdf-report.js';
import { screenshotJob, type ScreenshotJob } from './screenshot.js';
import type { QueueName } from './queues.js';

export * from './queues.js';

export const JOB_SCHEMAS = {
  screenshot: screenshotJob,
  'pdf-report': pdfReportJob,
  alert: alertJob,
} as const;

export interface JobByQueue {
  screenshot: ScreenshotJob;
  'pdf-report': PdfReportJob;
  alert: AlertJob;
}

/** One line per problem: `deliver.0.to.1: Invalid email address`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(job)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown field`);
    }
    return [`${where}: ${issue.message}`];
  });
}

/** Validates a job; `extraProblems` are problems found outside the schema (e.g. CLI options), reported in the same error. */
export function validateJob<Q extends QueueName>(queue: Q, data: unknown, extraProblems: string[] = []): JobByQueue[Q] {
  const result = JOB_SCHEMAS[queue].safeParse(data);
  const problems = [...extraProblems, ...(result.success ? [] : describeIssues(result.error))];
  if (problems.length > 0) {
    throw new CourierError('INVALID_JOB', `the ${queue} job does not match the contract (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
  }
  return result.data as JobByQueue[Q];
}

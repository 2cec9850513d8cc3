// `courier/contracts` (package.json "exports"): the job payloads and the
// result as zod schemas and TypeScript types (CONTRACT §3, §4), for a
// producer that validates or builds jobs itself. jobs/schemas/ holds the
// same contracts as JSON Schema for other languages.
export { describeIssues, isQueueName, JOB_SCHEMAS, QUEUE_NAMES, validateJob, type JobByQueue, type QueueName } from '../contracts/index.js';
export { screenshotJob, type Annotation, type ScreenshotJob, type ScreenshotJobInput } from '../contracts/screenshot.js';
export { pdfReportJob, type PdfReportJob, type PdfReportJobInput, type ReportLayout, type ReportPage } from '../contracts/pdf-report.js';
export { alertJob, OPERATORS, type AlertJob, type AlertJobInput, type Operator } from '../contracts/alert.js';
export { emailTarget, teamsTarget, target, type EmailTarget, type Target, type TeamsTarget, type Viewport } from '../contracts/common.js';
export { jobResult, type Artifact, type DeliveryReport, type JobResult, type Timings } from '../contracts/result.js';
export { scheduleFile, type ScheduleFile } from '../contracts/schedule.js';

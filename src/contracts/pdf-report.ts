// `pdf-report` queue: several stories in one PDF (CONTRACT §3).
import { z } from 'zod';
import { auth, label, lang, selector, storyUrl, targets, timeoutMs, timezone, viewport } from './common.js';

export const MAX_REPORT_PAGES = 100;

export const reportPage = z.strictObject({
  url: storyUrl,
  title: label.optional(),
  /** The chart's alternative text, for readers who cannot see it (the report's tags, the email's thumbnail); generated from the title when absent. */
  description: z.string().max(2000).optional(),
  selector: selector.optional(),
  viewport: viewport.optional(),
});

export const reportLayout = z.strictObject({
  format: z.enum(['A4', 'Letter']).default('A4'),
  landscape: z.boolean().default(true),
  cover: z.boolean().default(true),
  pageNumbers: z.boolean().default(true),
});

export const pdfReportJob = z.strictObject({
  title: label.min(1),
  smallApp: label.optional(),
  auth: auth.optional(),
  lang: lang.optional(),
  timezone: timezone.optional(),
  timeoutMs: timeoutMs.optional(),
  deliver: targets,
  pages: z.array(reportPage).min(1).max(MAX_REPORT_PAGES),
  layout: reportLayout.default({ format: 'A4', landscape: true, cover: true, pageNumbers: true }),
});

export type ReportPage = z.infer<typeof reportPage>;
export type ReportLayout = z.infer<typeof reportLayout>;
export type PdfReportJob = z.infer<typeof pdfReportJob>;
export type PdfReportJobInput = z.input<typeof pdfReportJob>;

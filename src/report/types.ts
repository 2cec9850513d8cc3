// The assembly's input and output: plain data, so that it crosses a
// worker_threads boundary by structured clone unchanged.
import { MAX_REPORT_PAGES, type ReportLayout } from '../contracts/pdf-report.js';
import type { StoryMeasure } from './bands.js';

export type { ReportLayout } from '../contracts/pdf-report.js';

export interface ReportPageInput {
  /** Shown above the story, in the contents and as its bookmark. Empty: "Page n". */
  title: string;
  /** The job's alternative text for the story's chart; without it, a sentence naming the story is generated. */
  description?: string;
  /** Vector capture: a one-page PDF of the story element alone, page size = element size (Chromium page.pdf). */
  pdf?: Uint8Array;
  /** Raster capture of the same element (PNG bytes and pixel size). */
  png?: {
    data: Uint8Array;
    width: number;
    height: number;
    /** Device pixels per CSS pixel of the capture; 2 when not given. */
    deviceScaleFactor?: number;
  };
  /**
   * The story's size in CSS px and the boxes a page break must not cut, as
   * surveyed before capture (story-shape.ts). Without it, the capture's own
   * size, and breaks wherever a page ends.
   */
  shape?: StoryMeasure;
  /** Why this capture was chosen (report/choose.ts), for the log. */
  chosen?: string;
}

export interface AssembleRequest {
  title: string;
  smallApp?: string;
  /** Document author; "courier" when not given. */
  author?: string;
  generatedAt: Date;
  /** IANA zone the cover's date is written in; UTC when not given. */
  timezone?: string;
  /** BCP 47 tag for dates, the few words of the cover and footer, and the document's /Lang. */
  lang?: string;
  layout: ReportLayout;
  /** 1 to MAX_REPORT_PAGES stories, in order. */
  pages: ReportPageInput[];
  /** When set, the result says whether the file is larger (the caller then links instead of attaching). */
  maxBytes?: number;
}

export type PageChoice = 'vector' | 'raster';

/** A story's alternative text: the job's description when it gave one, and the sentence generated from its title. */
export interface StoryAlt {
  description?: string;
  generated: string;
}

/**
 * What one PDF page of a story is, for its tags (src/report/tags.ts): which
 * story, whether its title is the story's heading (its first page) or a
 * running header (the next pages of a story laid over several), and the
 * alternative text of what it shows.
 */
export interface PageTags {
  /** Index of the story in the request's pages. */
  story: number;
  heading: boolean;
  alt: StoryAlt;
}

/**
 * What one PDF page of the report shows, in order (index = page index):
 * the cover or a continuation of its contents, or one band of a story (its
 * index in the request's pages; its band of how many; the band's top and
 * bottom in the story's CSS px). The structure tree names pages from it.
 */
export type ReportSheet =
  | { kind: 'cover'; part: number }
  | { kind: 'story'; story: number; band: number; bands: number; top: number; bottom: number };

export interface AssembledReport {
  data: Uint8Array;
  /** Pages of the PDF: the cover (and its contents continuation, if any) plus each story's pages (one, or more for a tall story). */
  pages: number;
  /** Per PDF page: what it shows. */
  sheets: ReportSheet[];
  /** Per story, in order: what was embedded. */
  choices: PageChoice[];
  /** Per story, in order: why (for logs). */
  reasons: string[];
  /** data.byteLength, for convenience. */
  bytes: number;
  /** True when maxBytes was given and the file is larger. */
  overMaxBytes: boolean;
}

/** Refuses what no assembly can make: no pages, too many, a page without captures. */
export function validateRequest(req: AssembleRequest): void {
  if (req.pages.length < 1 || req.pages.length > MAX_REPORT_PAGES) {
    throw new RangeError(`a report has 1 to ${MAX_REPORT_PAGES} pages, not ${req.pages.length}`);
  }
  req.pages.forEach((p, i) => {
    if (!p.pdf && !p.png) throw new Error(`report page ${i + 1} (${JSON.stringify(p.title)}) has neither a PDF nor a PNG capture`);
  });
}

// The render engine's interface, shared by processors, the CLI and tests.
import type { Capture, CaptureFormat } from '../artifacts/formats.js';
import type { Viewport } from '../contracts/common.js';
import type { Annotation } from '../contracts/screenshot.js';
import type { Logger } from '../log.js';
import type { PhaseObserver } from '../phases.js';
import type { StoryShape } from '../report/story-shape.js';
import type { RefusedAttempt } from './traffic/refusals.js';

// Formats, MIME types and what a capture is live with the files they describe (one table).
export type { Capture, CaptureFormat } from '../artifacts/formats.js';

export interface RenderRequest {
  /** The resolved story URL (see resolveStoryUrl). */
  url: URL;
  selector: string;
  /** Budget for the whole open + ready sequence (the job's timeoutMs). */
  timeoutMs: number;
  viewport: Viewport;
  /** Captures taken from the same ready page, in this order (e.g. ['pdf', 'png'] for a report page). */
  formats: CaptureFormat[];
  /**
   * A report page: the ready element is surveyed (element-survey.ts) and the
   * formats to capture are chosen from what it holds, in place of `formats`,
   * so that nothing is captured only to be thrown away.
   */
  choose?: (shape: StoryShape) => CaptureFormat[];
  lang?: string;
  timezone?: string;
  /** Bearer token sent to BACKEND_URL's origin only. */
  token?: string;
  annotations?: Annotation[];
  /** Selectors whose motion is never waited for (the job's `ignore`), added to IGNORE_SELECTOR. */
  ignore?: string[];
  /**
   * Where to keep a screenshot of the page as it was when readiness timed out
   * (absolute file path). The path appears in the SELECTOR_TIMEOUT message.
   */
  timeoutScreenshotPath?: string;
  /** Aborts the render (job deadline, shutdown). */
  signal?: AbortSignal;
  /** The job's logger (its lines carry the job id); defaults to the renderer's. */
  log?: Logger;
  /** Told each phase's duration and outcome, success or failure (metrics). */
  onPhase?: PhaseObserver;
}


/** What the page did, for errors that explain themselves. */
export interface PageDiagnostics {
  documentStatus: number | null;
  failedRequests: { method: string; url: string; status: number | null; error?: string }[];
  /** URLs of the refused attempts (the first few), as SELECTOR_TIMEOUT lists them. */
  blockedRequests: string[];
  /** Every attempt to reach outside the network policy, refused, with how it was made. */
  refused: RefusedAttempt[];
  /** The first few console errors and uncaught exceptions. */
  consoleErrors: string[];
  consoleErrorCount: number;
  /** Dialogs the story opened (alert, confirm, prompt), dismissed so it renders on. */
  dialogs: string[];
  /** Endless motion the story kept up that was not waited for (decoration, or ignored by selector), with why. */
  ignoredMotion?: string[];
}

export interface RenderTimings {
  openMs: number;
  readyMs: number;
  annotateMs?: number;
  captureMs: number;
}

export interface RenderResult {
  captures: Capture[];
  /** The survey `choose` was given (report pages only). */
  shape?: StoryShape;
  timings: RenderTimings;
  diagnostics: PageDiagnostics;
}

export interface Renderer {
  render(request: RenderRequest): Promise<RenderResult>;
}

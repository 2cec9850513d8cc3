// Every error leaving the render engine carries a code (CONTRACT §5),
// decided by what the error is (its class), never by its message text.
import { ProtocolError, TimeoutError } from 'puppeteer-core';
import { CourierError } from '../errors.js';
import type { Phase } from '../phases.js';
import { PageCrashedError, PageUnresponsiveError } from './page-observer.js';

export function classifyRenderError(err: unknown, phase: Phase, signal?: AbortSignal): CourierError {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof CourierError ? reason : new CourierError('JOB_TIMEOUT', 'the job deadline (JOB_TIMEOUT_MS) passed during the render', { cause: err });
  }
  if (err instanceof CourierError) return err;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (err instanceof PageCrashedError) {
    return new CourierError('BROWSER_CRASHED', `${phase}: ${err.message}; the job will be retried`, { cause: err });
  }
  if (err instanceof PageUnresponsiveError) {
    return new CourierError('SELECTOR_TIMEOUT', `${phase}: ${err.message}; check the story for a script that never ends`, { cause: err });
  }
  // TargetCloseError (the page or browser went away) is a ProtocolError.
  if (err instanceof ProtocolError) {
    return new CourierError('BROWSER_CRASHED', `${phase}: Chromium crashed or disconnected during the render (${first}); the job will be retried on a fresh browser`, { cause: err });
  }
  if (err instanceof TimeoutError) {
    return new CourierError('BROWSER_CRASHED', `${phase}: Chromium did not answer in time (${first}); the job will be retried`, { cause: err });
  }
  return new CourierError('BROWSER_CRASHED', `${phase}: the render failed unexpectedly (${first})`, { cause: err });
}

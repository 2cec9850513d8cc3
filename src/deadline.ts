// Deadlines on work that cannot be cancelled itself (a CDP call, a token
// request, a Redis command): the caller stops waiting, the work is abandoned
// and its later failure ignored. The clock is the platform's
// (AbortSignal.timeout, whose timer never keeps the process alive), and a
// deadline can be combined with other reasons to stop (AbortSignal.any).

/** An abort reason as an Error (a reason may be any value). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

/**
 * Settles as `work` does, unless `signal` aborts first: then rejects with
 * `reason(signal)` (by default the signal's own reason).
 */
export async function untilAborted<T>(work: PromiseLike<T>, signal: AbortSignal, reason: (signal: AbortSignal) => Error = abortReason): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // Once the signal has won, the race still holds the work's promise, so its later failure is not unhandled.
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** A signal that aborts after `ms` (at least 1 ms, as setTimeout would). */
export function timeoutSignal(ms: number): AbortSignal {
  return AbortSignal.timeout(Math.max(1, Math.ceil(ms)));
}

/** Settles as `work` does if it does within `ms`; else rejects with `onTimeout()`. */
export function withTimeout<T>(work: PromiseLike<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return untilAborted(work, timeoutSignal(ms), onTimeout);
}

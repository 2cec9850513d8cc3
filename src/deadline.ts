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

// ---------------------------------------------------------------------------
// One attempt of a job, as its side effects see it (queue/worker.ts makes it).
//
//   stop   JOB_TIMEOUT_MS passed, or the job was cancelled: nothing new
//          starts (a render, a wait, a send, a write), and waits end at once;
//   ended  the attempt is over: nothing of it may run any more.
//
// Between the two lies the send grace: a delivery already in flight at
// `stop` (inside `delivering`) may finish its exchange on the wire, within
// that exchange's own bound, and write its receipt. Only then does the
// attempt end, so its retry can never deliver beside it. An attempt with no
// delivery in flight ends at `stop` itself, as quickly as before.

export interface AttemptLife {
  /** Aborts at the job's deadline or cancellation: hand it to every wait and every new piece of work. */
  readonly stop: AbortSignal;
  /** Aborts when the attempt is over: a side effect checks it last, before it starts. */
  readonly ended: AbortSignal;
  /** Runs one delivery (claim, send, receipt): refused once stopped; while it runs, `stop` does not end the attempt. */
  delivering<T>(work: () => Promise<T>): Promise<T>;
}

export interface Attempt extends AttemptLife {
  /**
   * Settles as `work` (the processor) does. At `stop`, rejects with its
   * reason at once if no delivery is in flight; otherwise waits for `work`,
   * for at most `graceMs`, then rejects.
   */
  run<T>(work: Promise<T>): Promise<T>;
  /** Ends the attempt (idempotent): `ended` aborts, so anything of it still pending is refused. */
  end(): void;
  /** Deliveries in flight now. */
  readonly inFlight: number;
}

export interface AttemptOptions {
  stop: AbortSignal;
  /** How long deliveries in flight at `stop` may take to finish (the send grace). */
  graceMs: number;
  /** The reason `ended` aborts with, and the error of an attempt whose grace ran out. */
  endedReason?: () => Error;
  /** Told once when `stop` comes while deliveries are in flight (a log line). */
  onGrace?: (inFlight: number) => void;
}

export function startAttempt({ stop, graceMs, endedReason = () => abortReason(stop), onGrace }: AttemptOptions): Attempt {
  const ending = new AbortController();
  let inFlight = 0;
  const end = (): void => {
    if (!ending.signal.aborted) ending.abort(endedReason());
  };
  return {
    stop,
    ended: ending.signal,
    get inFlight() {
      return inFlight;
    },
    async delivering(work) {
      if (stop.aborted) throw abortReason(stop);
      if (ending.signal.aborted) throw abortReason(ending.signal);
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    },
    run(work) {
      return new Promise((resolve, reject) => {
        let grace: NodeJS.Timeout | undefined;
        const done = (): void => {
          stop.removeEventListener('abort', onStop);
          clearTimeout(grace);
        };
        const onStop = (): void => {
          if (inFlight === 0) {
            done();
            reject(abortReason(stop));
            return;
          }
          onGrace?.(inFlight);
          grace = setTimeout(() => {
            end();
            reject(abortReason(ending.signal));
          }, graceMs);
        };
        work.then(
          (value) => {
            done();
            resolve(value);
          },
          (err: unknown) => {
            done();
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
        if (stop.aborted) onStop();
        else stop.addEventListener('abort', onStop, { once: true });
      });
    },
    end,
  };
}

/** An attempt for work outside a job (a command, a test): stopped by `signal` when given, never waiting past it. */
export function standaloneAttempt(signal: AbortSignal = new AbortController().signal): AttemptLife {
  return startAttempt({ stop: signal, graceMs: 0 });
}

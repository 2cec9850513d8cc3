// Named phases: one mechanism for every step of a job. A phase has a name
// (the same in `timings`, in metrics, in logs and in errors), an optional
// budget, and an observer. runPhase() sets the phase, applies the budget,
// tags any error that escapes with the phase's name (the innermost phase
// wins), and reports the duration whether the phase succeeded or failed.
import { withTimeout } from './deadline.js';
import { CourierError } from './errors.js';

export const PHASES = ['validate', 'open', 'ready', 'annotate', 'capture', 'render', 'fetch', 'assemble', 'deliver'] as const;
export type Phase = (typeof PHASES)[number];

/** 'started' (ms 0) when a phase begins; 'ok' or 'failed' with its duration when it ends. */
export type PhaseEvent = 'started' | 'ok' | 'failed';
export type PhaseObserver = (phase: Phase, ms: number, event: PhaseEvent) => void;

/** Several observers as one (e.g. the job's metrics and the render's log line). */
export function observeAll(...observers: (PhaseObserver | undefined)[]): PhaseObserver {
  return (phase, ms, event) => {
    for (const observe of observers) observe?.(phase, ms, event);
  };
}

export interface PhaseOptions {
  /** Time the phase may take; past it, the phase fails with `overBudget()`. */
  budgetMs?: number;
  overBudget?: () => CourierError;
  /** Turns an escaping error into a coded one (e.g. puppeteer's errors into BROWSER_CRASHED). */
  classify?: (err: unknown) => CourierError;
  observe?: PhaseObserver;
}

/**
 * The phase each coded error escaped from. Kept here rather than on
 * CourierError so that errors.ts, one floor below, need not know phases.
 */
const phaseOfError = new WeakMap<CourierError, Phase>();

export interface PhaseRun<T> {
  value: T;
  ms: number;
}

export async function runPhase<T>(phase: Phase, work: () => Promise<T>, options: PhaseOptions = {}): Promise<PhaseRun<T>> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  options.observe?.(phase, 0, 'started');
  try {
    const running = work();
    let value: T;
    if (options.budgetMs === undefined) {
      value = await running;
    } else {
      const budgetMs = options.budgetMs;
      // Past the budget, the work is abandoned and its own failure no longer matters.
      value = await withTimeout(running, budgetMs, options.overBudget ?? (() => new CourierError('BROWSER_CRASHED', `${phase}: did not finish within ${budgetMs} ms`)));
    }
    const ms = elapsed();
    options.observe?.(phase, ms, 'ok');
    return { value, ms };
  } catch (err) {
    options.observe?.(phase, elapsed(), 'failed');
    const coded = err instanceof CourierError ? err : options.classify ? options.classify(err) : null;
    if (!coded) throw err;
    // The innermost phase wins: an error tagged deeper keeps its phase.
    if (!phaseOfError.has(coded)) phaseOfError.set(coded, phase);
    throw coded;
  }
}

/** The phase an error escaped from, if a phase tagged it. */
export function phaseOf(err: unknown): Phase | undefined {
  return err instanceof CourierError ? phaseOfError.get(err) : undefined;
}

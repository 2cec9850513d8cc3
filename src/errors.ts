// The coded errors of CONTRACT §5. A failed job's reason is always
// `CODE: sentence a person can act on`, and whether BullMQ retries it is
// decided here, in one place. The phase an error escaped from is phases.ts'
// business (phaseOf): this floor knows nothing of phases.
export const ERROR_CODES = {
  INVALID_JOB: { retried: false },
  FORBIDDEN_URL: { retried: false },
  NAVIGATION_FAILED: { retried: true },
  /** An alert's data request failed, or its answer has no number at valuePath. */
  DATA_FAILED: { retried: true },
  SELECTOR_TIMEOUT: { retried: true },
  BROWSER_CRASHED: { retried: true },
  DELIVERY_FAILED: { retried: true },
  JOB_TIMEOUT: { retried: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class CourierError extends Error {
  readonly code: ErrorCode;
  /** The sentence after the code, without the code prefix. */
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'CourierError';
    this.code = code;
    this.detail = detail;
  }

  get retried(): boolean {
    return ERROR_CODES[this.code].retried;
  }
}

export function isCourierError(err: unknown): err is CourierError {
  return err instanceof CourierError;
}

/** Reads the code back from a failed job's reason string (e.g. in `enqueue --wait`). */
export function codeOfReason(reason: string): ErrorCode | undefined {
  const code = /^([A-Z_]+):/.exec(reason)?.[1];
  return code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// At most CONCURRENCY pages at once: a counting semaphore whose waiters can
// be aborted (a job's deadline, shutdown). Waiters are served in arrival
// order, so a job never waits behind jobs that came after it.
import { CourierError } from '../errors.js';

export class PageSlots {
  private inUse = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    /** Told the number of pages in use each time it changes (a metric). */
    private readonly onChange?: (count: number) => void,
  ) {}

  get used(): number {
    return this.inUse;
  }

  /** Takes a slot, waiting for one if all are taken; rejects if `signal` aborts while waiting. */
  async acquire(signal?: AbortSignal): Promise<void> {
    // A job that has already stopped takes no page, free or not (an abort event never comes twice).
    if (signal?.aborted) throw abortedWhileWaiting(signal);
    if (this.inUse < this.limit) {
      this.set(this.inUse + 1);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.set(this.inUse + 1);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortedWhileWaiting(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  /** Gives a slot back, to the longest waiter if any. */
  release(): void {
    this.set(this.inUse - 1);
    this.waiters.shift()?.();
  }

  private set(count: number): void {
    this.inUse = count;
    this.onChange?.(count);
  }
}

function abortedWhileWaiting(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new CourierError('JOB_TIMEOUT', 'the job was aborted while waiting for a free page');
}

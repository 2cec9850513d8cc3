// Closing a finished job's context waits while another job captures.
// Disposing of a context is one of the heaviest things the pool asks of
// Chromium (it tears down a renderer process, up to 67 ms at a time on the
// browser's main thread, which also encodes every screenshot), and nobody
// waits for it. Measured at CONCURRENCY 4 on the gallery's echarts story
// (2 cores): a capture that overlapped a close or the making of a page took
// 300–800 ms, one that overlapped none of the pool's work about 110 ms.
// Making the next job's page ahead is not held back: a job that finds none
// ready makes its own, on its own time. The wait is bounded, so captures
// that follow one another without a gap cannot keep contexts open for long.

export class CaptureGate {
  private active = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxHoldMs: number) {}

  /** A capture begins; the function it returns ends it (calling it twice is harmless). */
  enter(): () => void {
    this.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of [...this.waiters]) wake();
    };
  }

  get capturing(): number {
    return this.active;
  }

  /** Resolves when no capture is under way, or after maxHoldMs at the latest. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.maxHoldMs);
      this.waiters.add(done);
    });
  }
}

// The pool's background work waits while a job captures. Closing a finished
// job's context and making the next job's page ahead are the heaviest things
// the pool does (Chromium tears down or starts a renderer process, on the
// browser's main thread that also answers screenshots); started while another
// job's capture waits for its frame, they held that capture up. Measured at
// CONCURRENCY 4 on the gallery's echarts story (2 cores): captures that
// overlapped them took 300–800 ms, the others about 110 ms. The wait is
// bounded, so captures that follow one another without a gap cannot starve
// the pool of its next page.

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

// The pool's background work waits for captures, but never longer than its bound.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CaptureGate } from '../../src/browser/capture-gate.js';

describe('CaptureGate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (promise: Promise<void>): Promise<boolean> => {
    let done = false;
    void promise.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it('lets work through at once when no capture is under way', async () => {
    expect(await settled(new CaptureGate(1000).idle())).toBe(true);
  });

  it('holds work until the last capture ends', async () => {
    const gate = new CaptureGate(1000);
    const endA = gate.enter();
    const endB = gate.enter();
    const waiting = gate.idle();
    endA();
    expect(await settled(waiting)).toBe(false);
    endB();
    expect(await settled(waiting)).toBe(true);
    expect(gate.capturing).toBe(0);
  });

  it('counts a capture ended twice once', async () => {
    const gate = new CaptureGate(1000);
    const endA = gate.enter();
    gate.enter();
    endA();
    endA();
    expect(gate.capturing).toBe(1);
    expect(await settled(gate.idle())).toBe(false);
  });

  it('never holds work longer than its bound, whatever the captures do', async () => {
    const gate = new CaptureGate(1000);
    gate.enter();
    const waiting = gate.idle();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });
});

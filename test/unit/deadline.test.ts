// The one deadline helper every "wait at most" in src/ goes through.
import { describe, expect, it } from 'vitest';
import { untilAborted, withTimeout } from '../../src/deadline.js';
import { phaseOf, runPhase } from '../../src/phases.js';
import { CourierError } from '../../src/errors.js';

const never = new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('settles as the work does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, () => new Error('late'))).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('own failure')), 1000, () => new Error('late'))).rejects.toThrow('own failure');
  });

  it("rejects with the caller's error when the work is late, and ignores the work's later failure", async () => {
    let fail!: (err: Error) => void;
    const late = new Promise<never>((_, reject) => (fail = reject));
    await expect(withTimeout(late, 5, () => new CourierError('JOB_TIMEOUT', 'too slow'))).rejects.toMatchObject({ code: 'JOB_TIMEOUT', detail: 'too slow' });
    fail(new Error('abandoned')); // must not surface as an unhandled rejection
  });

  it('accepts a fractional or zero budget (AbortSignal.timeout wants a whole number)', async () => {
    await expect(withTimeout(never, 0.4, () => new Error('late'))).rejects.toThrow('late');
    await expect(withTimeout(never, 0, () => new Error('late'))).rejects.toThrow('late');
  });
});

describe('untilAborted', () => {
  it("rejects with the signal's reason, an Error even when the reason is not", async () => {
    const controller = new AbortController();
    const waiting = untilAborted(never, controller.signal);
    controller.abort(new CourierError('JOB_TIMEOUT', 'job deadline'));
    await expect(waiting).rejects.toMatchObject({ code: 'JOB_TIMEOUT' });
    await expect(untilAborted(never, AbortSignal.abort('stop'))).rejects.toThrow('stop');
  });
});

describe('runPhase budget', () => {
  it("fails with the phase's over-budget error and tags it with the phase", async () => {
    const run = runPhase('open', () => never, { budgetMs: 5, overBudget: () => new CourierError('NAVIGATION_FAILED', 'open: too slow') });
    const err: unknown = await run.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NAVIGATION_FAILED' });
    expect(phaseOf(err)).toBe('open');
  });

  it('keeps the innermost phase when phases nest', async () => {
    const inner = () => runPhase('capture', () => Promise.reject(new CourierError('BROWSER_CRASHED', 'gone')));
    const err: unknown = await runPhase('render', inner).catch((e: unknown) => e);
    expect(phaseOf(err)).toBe('capture');
  });
});

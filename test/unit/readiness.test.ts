import { describe, expect, it } from 'vitest';
import { QUIET_WINDOW_MS, STABLE_SAMPLES, assessReadiness, describeUnmet, type PageSample } from '../../src/browser/readiness.js';

const ready: PageSample = { selectorVisible: true, busyVisible: 0, fontsLoaded: true, layout: '24,72,1000,520,31' };
const quiet = { inFlight: 0, lastActivityAt: 0 };
const now = 10_000;
const stable = (s: PageSample) => Array.from({ length: STABLE_SAMPLES }, () => s);

describe('readiness rules', () => {
  it('is ready when every condition holds', () => {
    expect(assessReadiness(stable(ready), quiet, now)).toEqual({ ready: true, unmet: [] });
  });

  it.each([
    ['selector', { ...ready, selectorVisible: false }],
    ['busy', { ...ready, busyVisible: 1 }],
    ['fonts', { ...ready, fontsLoaded: false }],
  ] as const)('is not ready while %s is unmet', (condition, sample) => {
    expect(assessReadiness(stable(sample), quiet, now).unmet).toContain(condition);
  });

  it('waits for the network to be quiet for the whole window', () => {
    expect(assessReadiness(stable(ready), { inFlight: 1, lastActivityAt: 0 }, now).unmet).toEqual(['network']);
    expect(assessReadiness(stable(ready), { inFlight: 0, lastActivityAt: now - QUIET_WINDOW_MS + 1 }, now).unmet).toEqual(['network']);
    expect(assessReadiness(stable(ready), { inFlight: 0, lastActivityAt: now - QUIET_WINDOW_MS }, now).ready).toBe(true);
  });

  it('needs the same layout across consecutive samples', () => {
    const moving = [{ ...ready, layout: '0,0,10,10,1' }, ready, ready];
    expect(assessReadiness(moving, quiet, now).unmet).toEqual(['layout']);
    expect(assessReadiness([ready], quiet, now).unmet).toEqual(['layout']);
  });

  it('fails closed with no sample at all', () => {
    expect(assessReadiness([], quiet, now).ready).toBe(false);
  });

  it('explains unmet conditions in words', () => {
    const text = describeUnmet(['busy', 'network'], '.tc-story', '[aria-busy="true"]', { inFlight: 2, lastActivityAt: 0 });
    expect(text).toBe('a busy indicator "[aria-busy=\\"true\\"]" is still visible; 2 request(s) still in flight');
  });
});

// The pure readiness rules (src/browser/readiness.ts), checked against facts
// the probe recorded in real Chromium while gallery stories drawn by
// ECharts, Chart.js, d3 and CSS loaded (test/unit/fixtures/), and against
// hand-made facts for each condition. No browser needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, assessReadiness, describeUnmet, pageUnmet, type NetworkState, type PageFacts } from '../../src/browser/readiness.js';

type Sample = PageFacts & { finalFrameDrawn: boolean };
const recorded = JSON.parse(readFileSync(new URL('./fixtures/readiness-samples.json', import.meta.url), 'utf8')) as { stories: Record<string, Sample[]> };
const quietNetwork: NetworkState = { inFlight: [], quietForMs: 10_000 };

const settled: PageFacts = {
  at: 1000,
  documentParsed: true,
  selectorVisible: true,
  busyVisible: 0,
  loaders: [],
  animations: [],
  fontsLoading: false,
  imagesPending: [],
  timersPending: 0,
  requestsPending: 0,
  quietForMs: 500,
  quietFrames: 30,
  lastChange: 'DOM change in div.bars',
  changes: 42,
  clip: { x: 140, y: 49, width: 1000, height: 520, scale: 1 },
};

describe('readiness rules on facts recorded from real chart libraries', () => {
  const finishing = Object.entries(recorded.stories).filter(([story]) => story !== 'debounce' && story !== 'forever');

  it.each(finishing)('%s: never ready before the story drew its final frame, ready once it had', (_story, samples) => {
    for (const sample of samples) {
      const { ready } = assessReadiness(sample, quietNetwork);
      if (ready) expect(sample.finalFrameDrawn).toBe(true);
    }
    expect(assessReadiness(samples.at(-1)!, quietNetwork).ready).toBe(true);
  });

  it('an animated chart is not ready while its canvas or SVG is still being drawn', () => {
    const midEcharts = recorded.stories.echarts!.find((s) => !s.finalFrameDrawn && s.lastChange.startsWith('canvas'))!;
    expect(pageUnmet(midEcharts, DEFAULT_LIMITS)).toEqual(['quiet']);
    const midD3 = recorded.stories.d3!.find((s) => !s.finalFrameDrawn && s.lastChange.startsWith('DOM change in rect'))!;
    expect(pageUnmet(midD3, DEFAULT_LIMITS)).toEqual(['quiet']);
    const midCss = recorded.stories['css-transition']!.find((s) => s.animations.length > 0)!;
    expect(pageUnmet(midCss, DEFAULT_LIMITS)).toContain('animation');
  });

  it('an unmarked spinner is a loading indicator, however long it spins', () => {
    for (const sample of recorded.stories.forever!) expect(pageUnmet(sample, DEFAULT_LIMITS)).toContain('loader');
  });

  it('a debounced second query: settled in the page, held by the request in flight', () => {
    const gap = recorded.stories.debounce!.find((s) => !s.finalFrameDrawn && pageUnmet(s, DEFAULT_LIMITS).length === 0)!;
    expect(gap).toBeDefined();
    const secondCall: NetworkState = { inFlight: [{ method: 'GET', url: 'http://api/data/revenue?filtered=1', ageMs: 40 }], quietForMs: 40 };
    expect(assessReadiness(gap, secondCall)).toEqual({ ready: false, unmet: ['network'] });
    const beforeTheCall = recorded.stories.debounce!.find((s) => s.timersPending > 0)!;
    expect(pageUnmet(beforeTheCall, DEFAULT_LIMITS)).toContain('timers');
  });
});

describe('readiness rules, condition by condition', () => {
  it('is ready when every condition holds', () => {
    expect(assessReadiness(settled, quietNetwork)).toEqual({ ready: true, unmet: [] });
  });

  it.each([
    ['selector', { selectorVisible: false }],
    ['selector', { documentParsed: false }],
    ['busy', { busyVisible: 1 }],
    ['loader', { loaders: ['CSSAnimation spin on div.spinner'] }],
    ['fonts', { fontsLoading: true }],
    ['images', { imagesPending: ['/photo.png'] }],
    ['animation', { animations: ['CSSTransition height on div.bar'] }],
    ['timers', { timersPending: 1 }],
    ['network', { requestsPending: 1 }],
    ['quiet', { quietForMs: DEFAULT_LIMITS.quietMs - 1 }],
    ['quiet', { quietFrames: DEFAULT_LIMITS.quietFrames - 1 }],
  ] as [string, Partial<PageFacts>][])('is not ready while %s is unmet (%o)', (condition, change) => {
    expect(assessReadiness({ ...settled, ...change }, quietNetwork).unmet).toEqual([condition]);
  });

  it('waits for the network to be idle for its whole quiet time', () => {
    expect(assessReadiness(settled, { inFlight: [{ method: 'GET', url: 'http://api/x', ageMs: 5 }], quietForMs: 5 }).unmet).toEqual(['network']);
    expect(assessReadiness(settled, { inFlight: [], quietForMs: DEFAULT_LIMITS.networkQuietMs - 1 }).unmet).toEqual(['network']);
    expect(assessReadiness(settled, { inFlight: [], quietForMs: DEFAULT_LIMITS.networkQuietMs }).ready).toBe(true);
  });

  it('fails closed when the page does not answer', () => {
    expect(assessReadiness(null, quietNetwork)).toEqual({ ready: false, unmet: ['unresponsive'] });
  });
});

describe('a timeout explains itself', () => {
  const explain = (facts: Partial<PageFacts>, network: NetworkState = quietNetwork) => ({ selector: '.tc-story', busySelector: '[aria-busy="true"]', facts: { ...settled, ...facts }, network });

  it('names the loader, the animation, the pictures, the request in flight and what kept changing', () => {
    expect(describeUnmet(['loader'], explain({ loaders: ['CSSAnimation spin on div.spinner'] }))).toBe('a loading animation is visible in the story (CSSAnimation spin on div.spinner)');
    expect(describeUnmet(['animation'], explain({ animations: ['CSSTransition height on div.bar', 'a', 'b', 'c'] }))).toBe('an animation was still running (CSSTransition height on div.bar, a, b and 1 more)');
    expect(describeUnmet(['images'], explain({ imagesPending: ['/photo.png'] }))).toBe('pictures had not arrived (/photo.png)');
    const network = { inFlight: [{ method: 'GET', url: 'https://api/demo/totals', ageMs: 29_100 }], quietForMs: 29_100 };
    expect(describeUnmet(['network'], explain({}, network))).toBe('1 request in flight (GET https://api/demo/totals, 29.1 s)');
    expect(describeUnmet(['quiet'], explain({ lastChange: 'canvas drawing in canvas', quietForMs: 12.4 }))).toBe('the element kept changing (last: canvas drawing in canvas, 12 ms before the timeout)');
    expect(describeUnmet(['busy', 'fonts'], explain({}))).toBe('a busy indicator "[aria-busy=\\"true\\"]" is still visible; web fonts were still loading');
  });

  it('names a page that stopped answering', () => {
    const text = describeUnmet(['unresponsive'], { selector: '.x', busySelector: '.b', facts: null, network: quietNetwork, unresponsiveForMs: 4_800 });
    expect(text).toBe('the page stopped responding: its main thread is busy without end (a script in an endless loop?), for the last 4.8 s');
  });
});

describe('whole dashboards: marks, parts never seen, pictures never requested (issue 21)', () => {
  it("a page's own marks decide: pending marks hold it, complete marks release it whatever else it does", () => {
    const busyElsewhere: PageFacts = { ...settled, quietForMs: 0, quietFrames: 0, timersPending: 2, animations: ['CSSAnimation x on div'] };
    expect(pageUnmet({ ...busyElsewhere, marks: { complete: false, waiting: '1 of 3 marked element(s) have not set data-render-complete="true"' } }, DEFAULT_LIMITS)).toEqual(['marks']);
    expect(pageUnmet({ ...busyElsewhere, marks: { complete: true, waiting: '' } }, DEFAULT_LIMITS)).toEqual([]);
    // …and a request the page keeps open does not hold a marked page either.
    const openFeed: NetworkState = { inFlight: [{ method: 'GET', url: 'http://api/feed', ageMs: 9000 }], quietForMs: 9000 };
    expect(assessReadiness({ ...settled, marks: { complete: true, waiting: '' } }, openFeed).ready).toBe(true);
    expect(assessReadiness(settled, openFeed).ready).toBe(false);
  });

  it('a part of the element never in view cannot count as ready, and is named first', () => {
    const verdict = assessReadiness(settled, quietNetwork, DEFAULT_LIMITS, true);
    expect(verdict).toEqual({ ready: false, unmet: ['unseen'] });
    expect(describeUnmet(verdict.unmet, { ...explainOf(settled), unseen: 'the element is 1000×40000 px' })).toBe('part of the element was never in view (the element is 1000×40000 px)');
  });

  it('a picture Chromium never requested is named as such, with where it lies', () => {
    const facts = { ...settled, imagesPending: ['/late.png', '/below.png'], imageNotes: { '/below.png': 'below the fold, loading=lazy' } };
    const said = describeUnmet(['images'], { ...explainOf(facts), requested: (url) => url === '/late.png' });
    expect(said).toBe('pictures had not arrived (/late.png); pictures were never requested by Chromium (/below.png: never requested: below the fold, loading=lazy)');
  });
});

function explainOf(facts: PageFacts) {
  return { selector: '.tc-story', busySelector: '[aria-busy="true"]', facts, network: quietNetwork };
}

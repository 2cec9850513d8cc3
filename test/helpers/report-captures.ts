// Real captures of the fixture story for report tests: each slide rendered by
// the production renderer (src/browser/render.ts) against the demo Toucan
// stack, captured twice from the same ready page, as a report page is: a
// one-page vector PDF of the story element and a PNG at deviceScaleFactor 2.
import { BrowserPool } from '../../src/browser/pool.js';
import { createRenderer } from '../../src/browser/render.js';
import type { Renderer } from '../../src/browser/types.js';
import type { ReportPageInput } from '../../src/report/types.js';
import { resolveStoryUrl } from '../../src/urls.js';
import { ToucanStack, stackConfig, testLogger } from '../fixtures/index.js';

export const SLIDES = ['sales', 'revenue', 'churn'] as const;
export type Slide = (typeof SLIDES)[number];

export type CapturedPage = Required<Pick<ReportPageInput, 'title' | 'pdf' | 'png'>>;

export interface CaptureSession {
  stack: ToucanStack;
  renderer: Renderer;
  capture(slide: Slide, title?: string): Promise<CapturedPage>;
  close(): Promise<void>;
}

export async function startCaptureSession(): Promise<CaptureSession> {
  const stack = await ToucanStack.start();
  const config = stackConfig(stack);
  const log = testLogger();
  const pool = new BrowserPool({ config, log });
  const renderer = createRenderer({ config, pool, log });

  async function capture(slide: Slide, title?: string): Promise<CapturedPage> {
    const result = await renderer.render({
      url: resolveStoryUrl(`/demo?slide=${slide}`, config.frontendUrl),
      selector: config.selector,
      timeoutMs: 30_000,
      viewport: { width: 1280, height: 618, deviceScaleFactor: 2 },
      formats: ['pdf', 'png'],
      token: stack.token,
    });
    const [pdf, png] = result.captures;
    if (!pdf || !png) throw new Error('the renderer returned fewer captures than asked');
    return { title: title ?? slide, pdf: pdf.data, png: { data: png.data, width: png.width, height: png.height, deviceScaleFactor: 2 } };
  }

  return {
    stack,
    renderer,
    capture,
    async close() {
      await pool.close();
      await stack.close();
    },
  };
}

// A story that tries to take its top frame outside the allowed origins (a
// refresh, `location`, a form, a link or download, a redirect of its
// document). The request router keeps the page where it is; the job ends at
// once, not retried: what it would capture is not what a reader would see,
// and a retry would only try again.
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import type { How } from './traffic/refusals.js';

export interface LeaveContext {
  /** The story's own URL, for the log line. */
  story: string;
  /** The phase the render was in when the story tried to leave. */
  phase: string;
  log: Logger;
  /** What the page had been refused so far, for the log line. */
  refused: unknown;
}

export class StoryLeave {
  /** Rejects (FORBIDDEN_URL) the moment the story tries to take its page to another origin. */
  readonly left: Promise<never>;
  private reject: (err: CourierError) => void = () => undefined;

  constructor() {
    this.left = new Promise<never>((_, reject) => (this.reject = reject));
    this.left.catch(() => undefined); // nobody may be racing it when the render already ended
  }

  /** The story tried to go to `url`: log it and end the render with FORBIDDEN_URL. */
  tried(url: string, how: How, ctx: LeaveContext): void {
    const way = how === 'redirect' ? 'its document redirected' : 'a refresh, link, form, download or script';
    ctx.log.warn({ story: ctx.story, left: url, refused: ctx.refused }, 'the story tried to take its page to another origin; it was kept where it was, and the job stopped');
    this.reject(
      new CourierError(
        'FORBIDDEN_URL',
        `${ctx.phase}: the story tried to take its page to ${url} (${way}), outside the allowed origins (FRONTEND_URL, BACKEND_URL, ALLOWED_ORIGINS); the page was kept where it was and the job stopped, not retried; a story that may go there needs its origin in ALLOWED_ORIGINS`,
      ),
    );
  }
}

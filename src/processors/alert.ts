// `alert`: read one number from the backend, compare it with the
// condition, and tell people when the condition starts or stops holding.
//
// The decisions are pure (alerts/state.ts, alerts/evaluate.ts); this file is
// the edge that fetches, captures and delivers, in an order that cannot
// lose or double a message (see alerts/store.ts):
//   lock → load → deliver what an earlier attempt left pending → evaluate →
//   commit the next state with its messages (one atomic step) → deliver them
//   → fail the job if the evaluation failed (its retries apply).
import { concatRefusals, type RefusedAttempt } from '../browser/traffic/refusals.js';
import { mimeOf } from '../artifacts/formats.js';
import { evaluateAnswer } from '../alerts/evaluate.js';
import { MESSAGE_KIND, transition, type AlertSettings, type EvaluationOutcome } from '../alerts/state.js';
import { alreadyEvaluated, shouldAbandon, type PendingNotification, type StoredAlert } from '../alerts/store.js';
import type { AlertJob } from '../contracts/alert.js';
import type { Viewport } from '../contracts/common.js';
import type { Artifact, DeliveryReport, JobResult } from '../contracts/result.js';
import type { AlertErrorReason, ImagePart, MessageInput } from '../delivery/messages.js';
import { CourierError, errorMessage, isCourierError } from '../errors.js';
import { humanLink, resolveBackendUrl } from '../urls.js';
import { runPhase } from '../phases.js';
import { prologue, type Prologue } from './prologue.js';
import type { ProcessorDeps, ProcessorJob } from './types.js';

/** DATA_FAILED with why, as data for the readers' message (AlertErrorReason in delivery/messages.ts). */
class DataFailed extends CourierError {
  constructor(
    detail: string,
    readonly reason: AlertErrorReason,
  ) {
    super('DATA_FAILED', detail);
  }
}

const STORY_VIEWPORT: Viewport = { width: 1280, height: 618, deviceScaleFactor: 1 };
/** How long an evaluation waits for another evaluation of the same alert to finish. */
const MAX_LOCK_WAIT_MS = 45_000;

export async function processAlert(job: ProcessorJob<'alert'>, deps: ProcessorDeps): Promise<JobResult> {
  const alert = job.data;
  const { config, alerts, log } = deps;
  // Refused before anything happens: a URL off the stack, a target that can never be served.
  const dataUrl = resolveBackendUrl(alert.data.url, config.backendUrl);
  const start = prologue(job, deps, { stories: alert.story ? [alert.story.url] : [], targets: [...alert.deliver, ...(alert.onError ?? [])] });

  const run = new AlertRun(job, deps, start);
  const lock = await alerts.acquireLock(alert.alertId, { waitMs: Math.min(MAX_LOCK_WAIT_MS, config.jobTimeoutMs / 2), maxHoldMs: config.jobTimeoutMs });
  if (!lock) {
    // Another evaluation of this alert is running and outlived our wait: it is evaluating the same thing.
    log.warn({ alertId: alert.alertId }, 'another evaluation of this alert is still running; this one is skipped');
    return run.result((await alerts.load(alert.alertId)).state?.status ?? 'ok', null);
  }
  try {
    const stored = await alerts.load(alert.alertId);
    for (const problem of stored.problems) log.warn({ alertId: alert.alertId }, problem);
    // A worker that died after committing left messages behind: they go first.
    for (const pending of stored.pending) await run.send(pending);
    if (alreadyEvaluated(stored, job.deliveryKey)) {
      // A retry after a failed delivery: the evaluation was made and committed; only its messages were owed.
      return run.result(stored.state?.status ?? 'ok', stored.state?.lastValue ?? null);
    }

    const { outcome, failure } = await run.evaluate(dataUrl);
    // The scheduled time, not the processing time: cooldowns then fall on the schedule's grid.
    const now = job.scheduledAt ?? job.startedAt;
    const { next, notifications } = transition(stored.state, outcome, now, settingsOf(alert));
    const commit = await alerts.commitTransition(alert.alertId, stored.version, next, notifications, { lockToken: lock.token, evaluationId: job.deliveryKey, jobCreatedAt: job.createdAt });
    if (!commit.committed) return run.notCommitted(stored, commit.reason);
    for (const notification of commit.notifications) await run.send(notification);
    if (failure) throw failure;
    return run.result(next.status, outcome.kind === 'value' ? outcome.value : null);
  } finally {
    await lock.release();
  }
}

function settingsOf(alert: AlertJob): AlertSettings {
  return { notify: alert.notify, cooldownMinutes: alert.cooldownMinutes, hasErrorTargets: (alert.onError?.length ?? 0) > 0 };
}

/** What one attempt of one alert job did: its artifacts, deliveries and timings. */
class AlertRun {
  private readonly artifacts: Artifact[] = [];
  private readonly deliveries: DeliveryReport[] = [];
  private readonly timings: Record<string, number> = {};
  /** What the attached story tried to reach and was refused (it rendered all the same). */
  private refused: RefusedAttempt[] = [];
  private notified = false;

  /** The attached story's URL, resolved by the prologue. */
  private readonly storyUrl: URL | null;

  constructor(
    private readonly job: ProcessorJob<'alert'>,
    private readonly deps: ProcessorDeps,
    private readonly start: Prologue<readonly string[]>,
  ) {
    this.storyUrl = start.urls[0] ?? null;
  }

  private get alert(): AlertJob {
    return this.job.data;
  }

  /** Fetches the backend and evaluates; a failure becomes an error outcome (for the state machine) and the job's coded error. */
  async evaluate(dataUrl: URL): Promise<{ outcome: EvaluationOutcome; failure: CourierError | null }> {
    try {
      const { value: answer, ms } = await runPhase('fetch', () => this.fetchAnswer(dataUrl), { observe: this.deps.observePhase });
      this.timings.fetchMs = ms;
      const outcome = evaluateAnswer(answer, this.alert.data.valuePath, this.alert.condition);
      if (outcome.kind === 'error') {
        return { outcome, failure: new DataFailed(
          `the backend's answer to ${this.alert.data.method} ${dataUrl.pathname} has no usable value: ${outcome.error}`, outcome.reason ?? { kind: 'no-value' }) };
      }
      return { outcome, failure: null };
    } catch (err) {
      if (this.deps.signal.aborted) throw err;
      const failure = isCourierError(err) ? err : new CourierError('DATA_FAILED', `the backend request failed: ${errorMessage(err)}`);
      return { outcome: { kind: 'error', error: failure.detail, ...(failure instanceof DataFailed ? { reason: failure.reason } : {}) }, failure };
    }
  }

  /** The backend request, with the job's token, on BACKEND_URL's origin only (redirects are not followed). */
  private async fetchAnswer(url: URL): Promise<unknown> {
    const { data, auth } = this.alert;
    const timeoutMs = this.alert.timeoutMs ?? this.deps.config.selectorTimeoutMs;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = `Bearer ${auth.token}`;
    if (this.alert.lang) headers['accept-language'] = this.alert.lang;
    const body = data.method === 'POST' ? JSON.stringify(data.body ?? {}) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const where = `${data.method} ${url.toString()}`;
    let response: Response;
    try {
      response = await fetch(url, { method: data.method, headers, body, redirect: 'manual', signal: AbortSignal.any([this.deps.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (err) {
      if (this.deps.signal.aborted) throw err;
      if (err instanceof DOMException && err.name === 'TimeoutError') {
        throw new DataFailed(`the backend did not answer ${where} within ${timeoutMs} ms`, { kind: 'timeout' });
      }
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      throw new DataFailed(`the backend could not be reached for ${where}: ${errorMessage(err)}${cause}; check BACKEND_URL (courier doctor)`, { kind: 'unreachable' });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new DataFailed(`the backend answered ${where} with a redirect (HTTP ${response.status}); redirects are not followed, so the token never leaves BACKEND_URL`, { kind: 'redirect' });
    }
    if (!response.ok) {
      await response.body?.cancel();
      const hint = response.status === 401 || response.status === 403 ? ': check the job\'s auth token' : '';
      throw new DataFailed(`the backend answered HTTP ${response.status} to ${where}${hint}`, { kind: 'http', status: response.status });
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new DataFailed(`the backend answered ${where} with HTTP ${response.status} but not JSON (${response.headers.get('content-type') ?? 'no content type'}: ${JSON.stringify(text.slice(0, 80))})`, { kind: 'not-json' });
    }
  }

  /**
   * Delivers one notification with its id as the ledger key (so a retry or
   * another worker never sends it twice), then checks it off. A delivery
   * that keeps failing is given up after the store's policy, so one dead
   * target cannot block an alert forever.
   */
  async send(notification: PendingNotification): Promise<void> {
    const { alerts, log } = this.deps;
    const alert = this.alert;
    const targets = notification.audience === 'deliver' ? alert.deliver : (alert.onError ?? []);
    try {
      if (targets.length > 0) {
        const input = await this.messageFor(notification);
        const { value, ms } = await runPhase('deliver', () => this.deps.delivery.deliver({ jobId: notification.id, targets, input, context: this.start.delivery }), { observe: this.deps.observePhase });
        this.deliveries.push(...value);
        this.timings.deliverMs = (this.timings.deliverMs ?? 0) + ms;
        if (notification.audience === 'deliver') this.notified = true;
      }
      await alerts.markDelivered(alert.alertId, notification.id);
    } catch (err) {
      if (this.deps.signal.aborted) throw err;
      const attempts = await alerts.recordDeliveryFailure(alert.alertId, notification.id);
      const giveUp = isCourierError(err) && !err.retried ? err.message : shouldAbandon({ ...notification, attempts }, Date.now());
      if (!giveUp) throw err;
      log.error({ alertId: alert.alertId, notificationId: notification.id, kind: notification.kind, reason: giveUp }, 'alert message abandoned');
      await alerts.abandonNotification(alert.alertId, notification.id);
    }
  }

  private async messageFor(notification: PendingNotification): Promise<MessageInput> {
    const alert = this.alert;
    const input: MessageInput = {
      kind: MESSAGE_KIND[notification.kind],
      title: alert.name,
      smallApp: alert.smallApp,
      link: alert.link ?? (this.storyUrl ? humanLink(this.storyUrl) : undefined),
      alert: {
        name: alert.name,
        value: notification.value,
        operator: alert.condition.operator,
        threshold: alert.condition.threshold,
        error: notification.error ?? undefined,
        reason: notification.reason,
      },
      at: new Date(notification.at),
      timezone: alert.timezone,
      lang: alert.lang,
    };
    if (notification.kind === 'triggered') {
      const story = await this.captureStory(notification);
      if ('image' in story) input.image = story.image;
      else if (story.problem) input.imageProblem = story.problem;
    }
    return input;
  }

  /**
   * The story for a "triggered" message. Fail closed: a story that is not
   * ready is never sent. Its error fails the attempt and the message waits
   * in the outbox for the retry; only on the job's last attempt does the
   * alert go out without its picture (saying why), since an alert lost to a
   * broken chart is worse than an alert without one.
   */
  private async captureStory(notification: PendingNotification): Promise<{ image: ImagePart } | { problem: string | null }> {
    const { story } = this.alert;
    // No story to attach: nothing is missing, so the message says nothing about it.
    if (!story || !this.storyUrl) return { problem: null };
    const { renderer, artifacts, signal } = this.deps;
    const { at } = this.start;
    const variant = `story-${notification.id.split(':').pop() ?? 'n'}`;
    try {
      const rendered = await renderer.render(this.start.render({ url: this.storyUrl, selector: story.selector, viewport: story.viewport ?? STORY_VIEWPORT, formats: ['png'] }, { name: variant }));
      const capture = rendered.captures.find((c) => c.format === 'png');
      if (!capture) throw new Error('the renderer returned no png capture');
      const artifact = await artifacts.save({ queue: 'alert', jobId: this.job.id, at, capture, variant, signal });
      this.artifacts.push(artifact);
      for (const key of ['openMs', 'readyMs', 'captureMs'] as const) this.timings[key] = (this.timings[key] ?? 0) + rendered.timings[key];
      this.refused = concatRefusals([this.refused, rendered.diagnostics.refused]);
      return { image: { data: capture.data, mime: mimeOf('png'), width: capture.width, height: capture.height, artifactPath: artifact.path } };
    } catch (err) {
      if (signal.aborted || this.job.attempt < this.job.maxAttempts) throw err;
      this.deps.log.warn({ alertId: this.alert.alertId, reason: errorMessage(err) }, 'story not captured on the last attempt; the alert is sent without it');
      return { problem: isCourierError(err) ? err.code : 'capture failed' };
    }
  }

  /** Another evaluation committed first (or the alert was deleted): nothing was sent by this one. */
  notCommitted(stored: StoredAlert, reason: 'version-changed' | 'lock-lost' | 'deleted'): JobResult {
    if (reason === 'lock-lost') {
      throw new CourierError('JOB_TIMEOUT', `the evaluation of alert ${this.alert.alertId} outlived its lock (JOB_TIMEOUT_MS); nothing was sent, and the retry evaluates again`);
    }
    const why = reason === 'deleted' ? 'the alert was deleted after this evaluation was scheduled' : 'the alert state changed during this evaluation (evaluated elsewhere)';
    this.deps.log.warn({ alertId: this.alert.alertId }, `${why}; nothing sent`);
    return this.result(stored.state?.status ?? 'ok', null);
  }

  result(state: 'ok' | 'triggered', value: number | null): JobResult {
    const diagnostics = this.refused.length > 0 ? { diagnostics: { refused: this.refused } } : {};
    return { artifacts: this.artifacts, deliveries: this.deliveries, timings: this.timings, ...diagnostics, state, value, notified: this.notified };
  }
}

// What a processor is: one async function per queue,
//   (job, deps) => Promise<JobResult>
// given this attempt of the job (payload validated, defaults applied) and
// its dependencies, returning the result of CONTRACT §4. Processors do not
// see BullMQ: the worker (src/queue/worker.ts) validates the payload, sets
// the deadline, counts, logs and maps errors to retries.
import type { AlertStore } from '../alerts/store.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { Renderer } from '../browser/types.js';
import type { Config } from '../config.js';
import type { JobByQueue, QueueName } from '../contracts/index.js';
import type { JobResult } from '../contracts/result.js';
import type { ArtifactLinks } from '../artifacts/links.js';
import type { AttemptLife } from '../deadline.js';
import type { DeliveryService } from '../delivery/types.js';
import type { Logger } from '../log.js';
import type { PhaseObserver } from '../phases.js';

export interface ProcessorJob<Q extends QueueName = QueueName> {
  /** The BullMQ job id. */
  id: string;
  /** The key of delivery receipts (DeliveryRequest.jobId): the same for every attempt, so a retry never sends twice. */
  deliveryKey: string;
  queue: Q;
  /** The payload, validated, with the contract's defaults applied. */
  data: JobByQueue[Q];
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** When the job was added and when this attempt started (ms since the epoch); startedAt picks the artifacts' date folder. */
  createdAt: number;
  startedAt: number;
  /** For a job made by a job scheduler (schedules sync, the backend's alerts): the time it was scheduled for. */
  scheduledAt?: number;
}

/** What the processors read of the configuration. */
export type ProcessorConfig = Pick<Config, 'frontendUrl' | 'backendUrl' | 'selector' | 'selectorTimeoutMs' | 'jobTimeoutMs' | 'mailMaxAttachmentBytes'>;

export interface ProcessorDeps {
  config: ProcessorConfig;
  renderer: Renderer;
  delivery: DeliveryService;
  artifacts: ArtifactStore;
  /** Signed links that keep their file (null when PUBLIC_URL or ARTIFACT_LINK_SECRET is not set). */
  links: ArtifactLinks | null;
  /** Alert state, outbox and per-alert locks in Redis. */
  alerts: AlertStore;
  /** Told when each phase starts and ends (metrics, and the job's current phase); pass it to runPhase. */
  observePhase: PhaseObserver;
  /** Bound to the queue, job id, attempt and small app. */
  log: Logger;
  /** Aborts at JOB_TIMEOUT_MS: hand it to every long call. */
  signal: AbortSignal;
  /** This attempt (queue/worker.ts): deliveries in flight at the deadline hold its end back within the send grace; absent outside a queue. */
  attempt?: AttemptLife;
}

/**
 * A processor's result; the worker adds `timings.queuedMs`. Timings use the
 * phase names of src/phases.ts (openMs, readyMs, annotateMs, captureMs from
 * the render engine, deliverMs, assembleMs, … from the processor), and every
 * phase runs through runPhase with `observePhase`, which feeds
 * courier_phase_duration_seconds whether the phase succeeds or fails.
 */
export type Processor<Q extends QueueName> = (job: ProcessorJob<Q>, deps: ProcessorDeps) => Promise<JobResult>;

export type ProcessorRegistry = { [Q in QueueName]: Processor<Q> };

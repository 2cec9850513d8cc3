// `courier/producer` (package.json "exports"): what a Node backend imports to
// add jobs, wait for their results, and manage schedules and alerts. Built
// JavaScript with types; internal modules may move, these names stay.
//
//   import { createProducer } from 'courier/producer';
//   const producer = createProducer({ config: { redisUrl: process.env.REDIS_URL, queuePrefix: 'courier' } });
export {
  createProducer,
  checkJob,
  DEFAULT_JOB_OPTIONS,
  InvalidJobError,
  JobFailedError,
  WaitTimeoutError,
  type AttemptFailure,
  type EnqueueOptions,
  type JobInputByQueue,
  type Producer,
  type ProducerOptions,
  type ScheduleTiming,
  type WaitOptions,
} from '../queue/producer.js';
export { isQueueName, QUEUE_NAMES, type QueueName } from '../contracts/queues.js';
export type { JobResult } from '../contracts/result.js';
export { codeOfReason, type ErrorCode } from '../errors.js';

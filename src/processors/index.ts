// Queue name → processor. The worker looks processors up here, so adding a
// queue's behaviour is one line.
import { UnrecoverableError } from 'bullmq';
import type { QueueName } from '../contracts/queues.js';
import { processScreenshot } from './screenshot.js';
import type { Processor, ProcessorRegistry } from './types.js';

export type { Processor, ProcessorDeps, ProcessorJob, ProcessorRegistry } from './types.js';

/** Stand-in until the queue's processor lands: fails at once, and retrying would not help. */
function notImplementedYet<Q extends QueueName>(queue: Q): Processor<Q> {
  return () => Promise.reject(new UnrecoverableError(`the ${queue} processor is not implemented yet in this version of courier`));
}

export function createProcessors(): ProcessorRegistry {
  return {
    screenshot: processScreenshot,
    'pdf-report': notImplementedYet('pdf-report'),
    alert: notImplementedYet('alert'),
  };
}

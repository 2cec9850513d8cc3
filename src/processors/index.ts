// Queue name → processor. The worker looks processors up here, so adding a
// queue's behaviour is one line.
import { processAlert } from './alert.js';
import { processPdfReport } from './pdf-report.js';
import { processScreenshot } from './screenshot.js';
import type { ProcessorRegistry } from './types.js';

export type { Processor, ProcessorDeps, ProcessorJob, ProcessorRegistry } from './types.js';

export function createProcessors(): ProcessorRegistry {
  return {
    screenshot: processScreenshot,
    'pdf-report': processPdfReport,
    alert: processAlert,
  };
}

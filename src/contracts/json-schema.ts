// JSON Schemas of the contracts, generated from the zod schemas (the single
// source of truth) for producers in other languages. `npm run schemas`
// writes them to jobs/schemas/; a test fails when the files drift from the
// code, so they are never hand-edited.
import { z } from 'zod';
import { JOB_SCHEMAS } from './index.js';
import { QUEUE_NAMES } from './queues.js';
import { jobResult } from './result.js';
import { scheduleFile } from './schedule.js';

/** A URN, not a URL: the schemas are files in this repository, not hosted anywhere. */
export const SCHEMA_ID_PREFIX = 'urn:courier:schema:';

interface SchemaSpec {
  /** File name under jobs/schemas/, without `.schema.json`. */
  name: string;
  schema: z.ZodType;
  title: string;
  description: string;
  /**
   * 'input' for what producers write (defaults make fields optional);
   * 'output' for what the worker returns (every defaulted field present).
   */
  io: 'input' | 'output';
}

const DESCRIPTIONS: Record<(typeof QUEUE_NAMES)[number], string> = {
  screenshot: 'Job data of the `screenshot` queue: one story captured as PNG, JPEG or PDF, optionally annotated, then delivered (CONTRACT §3).',
  'pdf-report': 'Job data of the `pdf-report` queue: several stories assembled into one PDF report, then delivered (CONTRACT §3).',
  alert: 'Job data of the `alert` queue: a backend value compared with a threshold; people are told when the condition starts and stops holding (CONTRACT §3).',
};

export const SCHEMA_SPECS: SchemaSpec[] = [
  ...QUEUE_NAMES.map((queue): SchemaSpec => ({
    name: queue,
    schema: JOB_SCHEMAS[queue],
    title: `courier ${queue} job`,
    description: `${DESCRIPTIONS[queue]} Unknown fields are refused. Story URLs are paths resolved against FRONTEND_URL, or absolute URLs on its origin.`,
    io: 'input',
  })),
  {
    name: 'result',
    schema: jobResult,
    title: 'courier job result',
    description: 'The return value of a completed job (CONTRACT §4).',
    io: 'output',
  },
  {
    name: 'schedule',
    schema: scheduleFile,
    title: 'courier schedule file',
    description: 'A schedule file (jobs/schedules/, examples in jobs/examples/schedules/), applied by `courier schedules sync`: exactly one of `cron` (with optional `tz`) or `every` (ms); `data` must match the job schema of `queue`.',
    io: 'input',
  },
];

/** One schema as a JSON object, with its $id, title and description. */
export function buildJsonSchema(spec: SchemaSpec): Record<string, unknown> {
  // `unrepresentable: 'any'`: refinements (time zone, language tag checks)
  // have no JSON Schema form; they stay a run-time check in the worker.
  const generated = z.toJSONSchema(spec.schema, { io: spec.io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: `${SCHEMA_ID_PREFIX}${spec.name}`, title: spec.title, description: spec.description, ...rest };
}

/** File name → file content (pretty JSON with a final newline), for every schema. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of SCHEMA_SPECS) {
    files.set(`${spec.name}.schema.json`, `${JSON.stringify(buildJsonSchema(spec), null, 2)}\n`);
  }
  return files;
}

// courier's view of one job, from plain data (pure): what the console's job
// page and `courier jobs show` say. A failed job's reason is a sentence
// (CONTRACT §5); the parts an operator looks for first (the code, what was
// still unmet, the requests in flight, refused and failed, the screenshot
// of the page as it was) are read back out of it here, by the same
// wording render.ts writes.
import type { AttemptRecord } from '../queue/attempts.js';
import { scrubSecrets } from '../queue/scrub.js';

export interface JobFacts {
  queue: string;
  id: string;
  state: string;
  data: unknown;
  returnvalue: unknown;
  failedReason: string | undefined;
  attemptsMade: number;
  maxAttempts: number;
  /** Unix ms. */
  timestamp: number;
  processedOn: number | undefined;
  finishedOn: number | undefined;
  /** The schedule that made it (BullMQ repeatJobKey), if any. */
  scheduleId: string | undefined;
  attempts: AttemptRecord[];
  /** `<target>|<recipient>` → { id, at } (delivery/ledger.ts). */
  receipts: Record<string, { id: string; at: string }>;
}

/** What a failure's sentence says, part by part (each may be absent). */
export interface Explained {
  code: string | null;
  message: string;
  unmet: string[];
  inFlight: string[];
  failedRequests: string[];
  refused: string[];
  consoleErrors: number | null;
  page: string | null;
  /** The timeout screenshot, relative to ARTIFACTS_DIR. */
  screenshot: string | null;
}

export interface Delivery {
  target: string;
  recipient: string;
  status: string;
  id: string;
  at: string | null;
}

export interface JobView {
  queue: string;
  id: string;
  title: string;
  state: string;
  scheduleId: string | null;
  /** "2 of 3". */
  attemptsLine: string;
  createdAt: string;
  finishedAt: string | null;
  error: (Explained & { phase: string | null }) | null;
  /** Phase → ms: the result's timings when it completed, else the last attempt's phases. */
  timings: Record<string, number>;
  attempts: AttemptRecord[];
  deliveries: Delivery[];
  /** Artifacts to show (relative to ARTIFACTS_DIR), images first. */
  artifacts: { path: string; mime: string }[];
  /** The job data without credentials. */
  data: unknown;
}

const ARTIFACT_PATH = /((?:screenshot|pdf-report|alert)\/\d{4}-\d{2}-\d{2}\/[^\s;]+?\.timeout\.png)/;
const IN_FLIGHT = /[A-Z]+ \S+, \d+(?:\.\d+)? s/g;

function part(reason: string, pattern: RegExp): string | null {
  return pattern.exec(reason)?.[1]?.trim() ?? null;
}

const list = (text: string | null): string[] => (text === null || text === 'none' ? [] : text.split(/, (?=[A-Z]+ |[a-z]+:\/\/)/).filter((s) => s.length > 0));

/** The parts of a failed job's reason. */
export function explainReason(reason: string): Explained {
  const code = /^([A-Z][A-Z_]+):/.exec(reason)?.[1] ?? null;
  const unmetText = part(reason, /still unmet: (.*?)(?: — page |$)/s);
  const unmet = unmetText === null ? [] : unmetText.split('; ').filter((s) => s.length > 0);
  const inFlight = unmet.filter((u) => / in flight \(/.test(u)).flatMap((u) => u.match(IN_FLIGHT) ?? []);
  const errors = part(reason, /console errors: (\d+)/);
  return {
    code,
    message: code === null ? reason : reason.slice(code.length + 1).trim(),
    unmet,
    inFlight,
    failedRequests: list(part(reason, /failed requests: (.*?)(?:; |$)/)),
    refused: list(part(reason, /blocked: (.*?)(?:; |$)/)),
    consoleErrors: errors === null ? null : Number(errors),
    page: part(reason, / — page (\S+ \(HTTP [^)]*\))/),
    screenshot: part(reason, ARTIFACT_PATH),
  };
}

function titleOf(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const d = data as Record<string, unknown>;
  const title = d.title ?? d.name ?? d.alertId;
  return typeof title === 'string' ? title : '';
}

function resultOf(value: unknown): { timings?: Record<string, number>; deliveries?: Record<string, unknown>[]; artifacts?: { path: string; mime: string }[] } {
  return typeof value === 'object' && value !== null ? (value) : {};
}

/** `timings` keys are `<phase>Ms`; attempt records' are phase names: one spelling for people. */
function phaseTimings(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, ms]) => [key.replace(/Ms$/, ''), ms]));
}

function deliveriesOf(facts: JobFacts): Delivery[] {
  const out: Delivery[] = [];
  for (const d of resultOf(facts.returnvalue).deliveries ?? []) {
    const recipients = d.type === 'email' ? ((d.to as string[] | undefined) ?? []) : [String(d.channelId)];
    for (const recipient of recipients) out.push({ target: String(d.type), recipient, status: String(d.status), id: String(d.id), at: null });
  }
  // Receipts name each recipient who has the message, even when the job failed later (another target refused).
  for (const [field, receipt] of Object.entries(facts.receipts)) {
    const at = field.lastIndexOf('|');
    const [target, recipient] = [field.slice(0, at), field.slice(at + 1)];
    const known = out.find((d) => d.recipient.toLowerCase() === recipient.toLowerCase() && d.id === receipt.id);
    if (known) known.at = receipt.at;
    else out.push({ target, recipient, status: 'sent', id: receipt.id, at: receipt.at });
  }
  return out;
}

const iso = (ms: number | undefined): string | null => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString());

export function viewOfJob(facts: JobFacts): JobView {
  const result = resultOf(facts.returnvalue);
  const last = facts.attempts.at(-1);
  const failed = facts.failedReason !== undefined && facts.failedReason !== '' && facts.state === 'failed';
  const explained = failed ? explainReason(facts.failedReason!) : null;
  const timings = result.timings ? phaseTimings(result.timings) : (last?.phases ?? {});
  const attemptsDone = Math.max(facts.attemptsMade, facts.attempts.length);
  return {
    queue: facts.queue,
    id: facts.id,
    title: titleOf(facts.data),
    state: facts.state,
    scheduleId: facts.scheduleId ?? null,
    attemptsLine: `${attemptsDone} of ${facts.maxAttempts}`,
    createdAt: new Date(facts.timestamp).toISOString(),
    finishedAt: iso(facts.finishedOn),
    error: explained ? { ...explained, phase: last?.phase ?? null } : null,
    timings: timings,
    attempts: facts.attempts,
    deliveries: deliveriesOf(facts),
    artifacts: [...(result.artifacts ?? [])].sort((a, b) => Number(b.mime.startsWith('image/')) - Number(a.mime.startsWith('image/'))),
    data: scrubSecrets(facts.data),
  };
}

/** The view as lines of text, for `courier jobs show`. */
export function viewAsText(view: JobView): string[] {
  const lines = [`${view.queue}:${view.id}  ${view.state}  ${view.title}`, `attempts   ${view.attemptsLine}`, `created    ${view.createdAt}`];
  if (view.finishedAt) lines.push(`finished   ${view.finishedAt}`);
  if (view.scheduleId) lines.push(`schedule   ${view.scheduleId}`);
  const e = view.error;
  if (e) {
    lines.push(`error      ${e.code ?? 'UNEXPECTED'}${e.phase ? ` in phase ${e.phase}` : ''}`, `           ${e.message}`);
    for (const u of e.unmet) lines.push(`unmet      ${u}`);
    for (const r of e.inFlight) lines.push(`in flight  ${r}`);
    for (const r of e.failedRequests) lines.push(`failed     ${r}`);
    for (const r of e.refused) lines.push(`refused    ${r}`);
    if (e.screenshot) lines.push(`screenshot ${e.screenshot} (in ARTIFACTS_DIR of the worker that ran it)`);
  }
  const timings = Object.entries(view.timings);
  if (timings.length > 0) lines.push(`timings    ${timings.map(([phase, ms]) => `${phase} ${ms} ms`).join(', ')}`);
  for (const a of view.attempts) {
    lines.push(`attempt    ${a.attempt} of ${a.of}: ${a.outcome}${a.code ? ` ${a.code}` : ''}${a.phase ? ` in ${a.phase}` : ''}, ${new Date(a.startedAt).toISOString()}, ${a.ms} ms`);
  }
  for (const d of view.deliveries) lines.push(`delivered  ${d.target} ${d.recipient}: ${d.status} (${d.id})${d.at ? ` at ${d.at}` : ''}`);
  for (const a of view.artifacts) lines.push(`artifact   ${a.path} (${a.mime})`);
  return lines;
}

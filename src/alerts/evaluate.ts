// The pure half of an alert evaluation: pick `valuePath` from the backend's
// JSON answer, insist on a finite number, compare it with the condition.
// When the answer is not what the alert expects, the problem says exactly
// what was found and where, because the person reading it has to fix either
// the alert or the backend, and "not a number" does not tell them which.
import type { Operator } from '../contracts/alert.js';
import type { EvaluationOutcome } from './state.js';

export interface Condition {
  operator: Operator;
  threshold: number;
}

export type PickResult = { ok: true; value: number } | { ok: false; problem: string };

/**
 * Relative tolerance of == and != (and of the "equal" half of >= and <=).
 * Backends compute values in binary floating point, so 0.1 + 0.2 arrives as
 * 0.30000000000000004; a threshold of 0.3 must see it as equal. 1e-12 is a
 * thousand times above that noise and far below any difference a person
 * sets a threshold on. Two integers are always compared exactly (counts of
 * bytes or rows above 10^12 must not merge).
 */
export const EQUALITY_TOLERANCE = 1e-12;

export function nearlyEqual(a: number, b: number): boolean {
  if (a === b) return true;
  if (Number.isInteger(a) && Number.isInteger(b)) return false;
  return Math.abs(a - b) <= EQUALITY_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** Whether `value <operator> threshold`, with equality as in nearlyEqual, so exactly one of <, ==, > is true. */
export function holds(value: number, condition: Condition): boolean {
  const { operator, threshold } = condition;
  const equal = nearlyEqual(value, threshold);
  switch (operator) {
    case '==':
      return equal;
    case '!=':
      return !equal;
    case '>':
      return !equal && value > threshold;
    case '>=':
      return equal || value > threshold;
    case '<':
      return !equal && value < threshold;
    case '<=':
      return equal || value < threshold;
  }
}

const MAX_SHOWN_CHARS = 60;
const MAX_SHOWN_FIELDS = 8;

/** A short description of a JSON value, as a person would say it. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  if (Array.isArray(value)) return `an array of ${value.length} element${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') {
    const fields = Object.keys(value);
    if (fields.length === 0) return 'an empty object';
    const shown = fields.slice(0, MAX_SHOWN_FIELDS).join(', ');
    return `an object with fields ${shown}${fields.length > MAX_SHOWN_FIELDS ? ', …' : ''}`;
  }
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Follows a dot-separated path (numeric segments index arrays) through a
 * parsed JSON answer. Returns the number found, or a problem sentence that
 * starts with `valuePath "<path>" found …`.
 */
export function pickValue(json: unknown, valuePath: string): PickResult {
  const segments = valuePath.split('.');
  const found = (what: string): PickResult => ({ ok: false, problem: `valuePath ${JSON.stringify(valuePath)} found ${what}` });
  let current: unknown = json;
  // The part of the path already walked, named the way the person wrote it.
  let walked = 'the answer';

  for (const [index, segment] of segments.entries()) {
    const here = index === 0 ? 'the answer' : JSON.stringify(walked);
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) {
        return found(`nothing: ${here} is an array of ${current.length} element${current.length === 1 ? '' : 's'}, and ${JSON.stringify(segment)} is not an index`);
      }
      const position = Number(segment);
      if (position >= current.length) {
        return found(`nothing: ${here} has ${current.length} element${current.length === 1 ? '' : 's'}`);
      }
      current = current[position];
    } else if (isRecord(current)) {
      // Own fields only: "constructor" or "__proto__" in a path must not reach Object.prototype.
      if (!Object.hasOwn(current, segment)) {
        const fields = Object.keys(current);
        const listed = fields.length === 0 ? 'no fields at all' : `fields ${fields.slice(0, MAX_SHOWN_FIELDS).join(', ')}${fields.length > MAX_SHOWN_FIELDS ? ', …' : ''}`;
        return found(`nothing: ${here} has no field ${JSON.stringify(segment)} (it has ${listed})`);
      }
      current = current[segment];
    } else {
      return found(`nothing: ${here} is ${describeJson(current)}, which has no ${JSON.stringify(segment)}`);
    }
    walked = index === 0 ? segment : `${walked}.${segment}`;
  }

  if (typeof current === 'number' && Number.isFinite(current)) return { ok: true, value: current };
  return found(`${describeJson(current)} (expected a finite number)`);
}

/** The whole pure evaluation: the answer, the path and the condition → what the state machine needs. */
export function evaluateAnswer(json: unknown, valuePath: string, condition: Condition): EvaluationOutcome {
  const picked = pickValue(json, valuePath);
  if (!picked.ok) return { kind: 'error', error: picked.problem, reason: { kind: 'no-value' } };
  return { kind: 'value', value: picked.value, holds: holds(picked.value, condition) };
}

// Picking `valuePath` from a backend answer, and comparing with the condition.
import { describe, expect, it } from 'vitest';
import { describeJson, evaluateAnswer, holds, nearlyEqual, pickValue, type Condition } from '../../src/alerts/evaluate.js';

const answer = {
  items: [{ value: 12.5, label: 'a' }, { value: '12' }, { value: null }, { value: true }, { value: { nested: 1 } }],
  total: 42,
  empty: [],
  zero: 0,
  negative: -3,
};

describe('pickValue', () => {
  it.each([
    ['items.0.value', 12.5],
    ['total', 42],
    ['zero', 0],
    ['negative', -3],
    ['items.4.value.nested', 1],
  ])('%s → %d', (path, expected) => {
    expect(pickValue(answer, path)).toEqual({ ok: true, value: expected });
  });

  it('reads an answer that is itself an array or a number', () => {
    expect(pickValue([[1, 2], [3, 4]], '1.0')).toEqual({ ok: true, value: 3 });
    expect(pickValue({ '0': 7 }, '0')).toEqual({ ok: true, value: 7 });
  });

  it.each([
    ['items.1.value', answer, 'valuePath "items.1.value" found the string "12" (expected a finite number)'],
    ['items.0.value', { items: [] }, 'valuePath "items.0.value" found nothing: "items" has 0 elements'],
    ['items.3.value', { items: [1, 2] }, 'valuePath "items.3.value" found nothing: "items" has 2 elements'],
    ['items.2.value', answer, 'valuePath "items.2.value" found null (expected a finite number)'],
    ['items.3.value', answer, 'valuePath "items.3.value" found the boolean true (expected a finite number)'],
    ['items.4.value', answer, 'valuePath "items.4.value" found an object with fields nested (expected a finite number)'],
    ['items', answer, 'valuePath "items" found an array of 5 elements (expected a finite number)'],
    ['items.first.value', answer, 'valuePath "items.first.value" found nothing: "items" is an array of 5 elements, and "first" is not an index'],
    ['items.01.value', answer, 'valuePath "items.01.value" found nothing: "items" is an array of 5 elements, and "01" is not an index'],
    ['totals', answer, 'valuePath "totals" found nothing: the answer has no field "totals" (it has fields items, total, empty, zero, negative)'],
    ['data.value', {}, 'valuePath "data.value" found nothing: the answer has no field "data" (it has no fields at all)'],
    ['total.value', answer, 'valuePath "total.value" found nothing: "total" is the number 42, which has no "value"'],
    ['items.2.value.x', answer, 'valuePath "items.2.value.x" found nothing: "items.2.value" is null, which has no "x"'],
    ['value', null, 'valuePath "value" found nothing: the answer is null, which has no "value"'],
    ['value', 'maintenance', 'valuePath "value" found nothing: the answer is the string "maintenance", which has no "value"'],
    ['value', { value: Number.NaN }, 'valuePath "value" found NaN (expected a finite number)'],
    ['value', { value: Number.POSITIVE_INFINITY }, 'valuePath "value" found the number Infinity (expected a finite number)'],
    ['value', { value: -Infinity }, 'valuePath "value" found the number -Infinity (expected a finite number)'],
  ])('%s in %j → a problem naming what was found', (path, json, problem) => {
    expect(pickValue(json, path)).toEqual({ ok: false, problem });
  });

  it('never reaches the object prototype', () => {
    const result = pickValue({ a: 1 }, 'constructor.length');
    expect(result).toEqual({ ok: false, problem: 'valuePath "constructor.length" found nothing: the answer has no field "constructor" (it has fields a)' });
    expect(pickValue(JSON.parse('{"__proto__": {"x": 5}}'), '__proto__.x')).toEqual({ ok: true, value: 5 });
  });

  it('shortens long strings and long field lists in problems', () => {
    const long = 'x'.repeat(500);
    expect(describeJson(long)).toBe(`the string "${'x'.repeat(60)}…"`);
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
    expect(describeJson(wide)).toBe('an object with fields f0, f1, f2, f3, f4, f5, f6, f7, …');
    expect(describeJson({})).toBe('an empty object');
    expect(describeJson([1])).toBe('an array of 1 element');
  });
});

describe('holds', () => {
  const c = (operator: Condition['operator'], threshold: number): Condition => ({ operator, threshold });

  it.each([
    [11, '>', 10, true],
    [10, '>', 10, false],
    [9, '>', 10, false],
    [10, '>=', 10, true],
    [9.99, '>=', 10, false],
    [9, '<', 10, true],
    [10, '<', 10, false],
    [10, '<=', 10, true],
    [10.01, '<=', 10, false],
    [10, '==', 10, true],
    [10.5, '==', 10, false],
    [10.5, '!=', 10, true],
    [10, '!=', 10, false],
    [-5, '<', 0, true],
    [0, '>=', -0, true],
  ] as const)('%d %s %d → %s', (value, operator, threshold, expected) => {
    expect(holds(value, c(operator, threshold))).toBe(expected);
  });

  it('sees floating-point noise as equal, consistently across all operators', () => {
    const noisy = 0.1 + 0.2; // 0.30000000000000004
    expect(noisy).not.toBe(0.3);
    expect(holds(noisy, c('==', 0.3))).toBe(true);
    expect(holds(noisy, c('!=', 0.3))).toBe(false);
    expect(holds(noisy, c('>', 0.3))).toBe(false);
    expect(holds(noisy, c('>=', 0.3))).toBe(true);
    expect(holds(noisy, c('<=', 0.3))).toBe(true);
    expect(holds(1.1 * 3, c('==', 3.3))).toBe(true);
  });

  it('keeps real differences, and compares integers exactly', () => {
    expect(nearlyEqual(0.3, 0.3000001)).toBe(false);
    expect(nearlyEqual(1e15, 1e15 + 1)).toBe(false);
    expect(holds(1e15 + 1, c('>', 1e15))).toBe(true);
    // Near zero the tolerance is relative, so it is exact: 1e-17 is above 0.
    expect(holds(1e-17, c('>', 0))).toBe(true);
  });

  it('exactly one of <, ==, > holds for any pair', () => {
    const values = [0, 1, -1, 0.1 + 0.2, 0.3, 1e15, 1e15 + 1, 1e-17, 2.5, 2.5000000000001];
    for (const a of values) {
      for (const b of values) {
        const count = [holds(a, c('<', b)), holds(a, c('==', b)), holds(a, c('>', b))].filter(Boolean).length;
        expect(count, `${a} vs ${b}`).toBe(1);
      }
    }
  });
});

describe('evaluateAnswer', () => {
  it('gives the value and whether the condition holds', () => {
    expect(evaluateAnswer({ items: [{ value: 120 }] }, 'items.0.value', { operator: '>', threshold: 100 })).toEqual({ kind: 'value', value: 120, holds: true });
    expect(evaluateAnswer({ items: [{ value: 80 }] }, 'items.0.value', { operator: '>', threshold: 100 })).toEqual({ kind: 'value', value: 80, holds: false });
  });

  it('turns an unusable answer into an evaluation error that says what was found', () => {
    expect(evaluateAnswer({ items: [] }, 'items.0.value', { operator: '>', threshold: 100 })).toEqual({
      kind: 'error',
      error: 'valuePath "items.0.value" found nothing: "items" has 0 elements',
      reason: { kind: 'no-value' },
    });
  });
});

import { expect } from 'vitest';

/** Awaits a promise that must reject with an error of this class, and returns that error for further checks. */
export async function rejection<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(type);
  return outcome as E;
}

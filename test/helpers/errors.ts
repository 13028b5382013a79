/** Awaiting an expected failure in tests. */
import { expect } from 'vitest';
import { SourceError } from '../../src/errors.js';

/** Resolves to the `SourceError` the promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function sourceFailure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

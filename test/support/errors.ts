/** Helpers for asserting on errors: what a call rejected with, and every way it may be logged. */
import { inspect } from 'node:util';

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to reject');
}

/** Every way a user might log an error, causes included. */
export function everyRendering(error: Error): string {
  const parts = [
    inspect(error, { depth: null, showHidden: true }),
    JSON.stringify(error),
    String(error.stack),
    String(error),
  ];
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    parts.push(inspect(cause, { depth: null, showHidden: true }), JSON.stringify(cause) ?? '');
    cause = (cause as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

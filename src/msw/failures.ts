/** `failNext`: failures queued by a test, taken by the next matching requests before the engine sees them. */
import { optionChecks } from '../option-checks.js';

/** A failure to inject with a mock's `failNext`. */
export type InjectedFailure =
  | {
      /** HTTP status to answer with, e.g. 503 or 429. */
      status: number;
      /** Error code; default from the status, in the API's own codes (see each mock). */
      code?: string | undefined;
      message?: string | undefined;
      /** Extra headers. A 429 gets the current rate-limit headers (remaining 0) unless given. */
      headers?: Record<string, string> | undefined;
      /** How many requests fail. Default 1. */
      times?: number | undefined;
      /** Only requests with this method (e.g. `'POST'`). */
      method?: string | undefined;
    }
  | {
      /** A network error (the client sees `ConnectionError`). */
      network: true;
      times?: number | undefined;
      method?: string | undefined;
    };

/** The queue behind `failNext`. */
export interface FailureQueue {
  /** Checks and queues a failure; throws `TypeError` on a bad `times` or `status`. */
  push(failure: InjectedFailure): void;
  /** Takes one use of the first queued failure matching `method`, if any. */
  take(method: string): InjectedFailure | undefined;
  /** Forgets every queued failure. */
  clear(): void;
}

/** Creates an empty queue. */
export function createFailureQueue(): FailureQueue {
  let failures: (InjectedFailure & { left: number })[] = [];
  return {
    push(failure) {
      const check = optionChecks('failNext');
      const times = check.positiveInteger('times', failure.times ?? 1);
      if (
        !('network' in failure) &&
        (!Number.isSafeInteger(failure.status) || failure.status < 400 || failure.status > 599)
      ) {
        throw check.invalid('status', 'must be an HTTP error status (400-599)', failure.status);
      }
      failures.push({ ...failure, left: times });
    },
    take(method) {
      const upper = method.toUpperCase();
      const found = failures.find(
        (f) => f.left > 0 && (f.method === undefined || f.method.toUpperCase() === upper),
      );
      if (!found) return undefined;
      found.left--;
      failures = failures.filter((f) => f.left > 0);
      return found;
    },
    clear() {
      failures = [];
    },
  };
}

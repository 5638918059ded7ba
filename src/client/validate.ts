/** Input checks run before anything is sent. Each throws `InvalidRequestError` naming the problem. */
import { InvalidRequestError } from '../errors.js';
import { optionChecks } from '../option-checks.js';
import { MAX_TOKENS_PER_REFRESH } from '../wire/limits.js';
import { COLLECTION_ADDRESS_PATTERN } from '../wire/schemas.js';
import { tokenIdListProblem } from '../wire/token-id.js';

function listSome(items: readonly unknown[], max = 10): string {
  const shown = items.slice(0, max).map((i) => JSON.stringify(i));
  return items.length > max
    ? `${shown.join(', ')} and ${items.length - max} more`
    : shown.join(', ');
}

/** An options object (guards calls from plain JavaScript). */
export function assertObject(value: unknown, call: string): asserts value is object {
  if (!value || typeof value !== 'object') {
    throw new InvalidRequestError(`${call} needs an options object`);
  }
}

/** `0x` + 40 hex characters. */
export function assertCollectionAddress(value: unknown, field = 'collectionAddress'): string {
  if (typeof value !== 'string' || !COLLECTION_ADDRESS_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `${field} must be 0x followed by 40 hex characters, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

/**
 * A non-empty array of non-empty string ids with no duplicates, at most `max` long
 * (`Infinity` for `requestRefreshes`, which splits).
 */
export function assertTokenIds(value: unknown, max: number = MAX_TOKENS_PER_REFRESH): string[] {
  const problem = tokenIdListProblem(value, { max });
  if (problem === undefined) return value as string[];
  switch (problem.kind) {
    case 'notArray':
      throw new InvalidRequestError('tokenIds must be an array of strings');
    case 'empty':
      throw new InvalidRequestError('tokenIds must not be empty');
    case 'tooMany':
      throw new InvalidRequestError(
        `tokenIds holds ${problem.count} ids; one request takes at most ${max} (use requestRefreshes to split)`,
      );
    case 'invalid': {
      const invalid = problem.items.map(
        ({ index, value: id }) => `[${index}] ${JSON.stringify(id) ?? String(id)}`,
      );
      throw new InvalidRequestError(
        `tokenIds must be non-empty, well-formed strings other than "." and ".."; invalid: ${invalid.slice(0, 10).join(', ')}${invalid.length > 10 ? ` and ${invalid.length - 10} more` : ''}`,
      );
    }
    case 'repeated': {
      const duplicates = new Set(problem.repeats.map((r) => r.id));
      throw new InvalidRequestError(`tokenIds holds duplicates: ${listSome([...duplicates])}`);
    }
  }
}

/** A non-empty string. */
export function assertRefreshId(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new InvalidRequestError('refreshId must be a non-empty string');
  }
  // URL parsers resolve these as path steps, even percent-encoded: the request would go elsewhere.
  if (value === '.' || value === '..') {
    throw new InvalidRequestError(`refreshId ${JSON.stringify(value)} is not a refresh id`);
  }
  return value;
}

/** Undefined, or a positive integer (at most `max`): `method`'s `pageSize`. */
export function assertPageSize(
  value: unknown,
  method: string,
  max?: number | undefined,
): number | undefined {
  return value === undefined
    ? undefined
    : optionChecks(method).positiveInteger('pageSize', value, max);
}

/** Undefined, or a string. */
export function assertCursor(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError('cursor must be a string');
  return value;
}

/** The options of a wait (`waitForRefresh`, `waitForNftMetadata`), checked as `method`'s. */
export function assertWaitOptions(
  options: { pollIntervalMs?: unknown; maxPollIntervalMs?: unknown; timeoutMs?: unknown },
  method: string,
): void {
  const check = optionChecks(method);
  const { pollIntervalMs, maxPollIntervalMs, timeoutMs } = options;
  if (pollIntervalMs !== undefined) check.positiveNumber('pollIntervalMs', pollIntervalMs);
  if (maxPollIntervalMs !== undefined) check.positiveNumber('maxPollIntervalMs', maxPollIntervalMs);
  if (timeoutMs !== undefined) check.nonNegativeNumber('timeoutMs', timeoutMs);
}

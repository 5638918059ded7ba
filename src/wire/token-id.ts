/**
 * What a token id must be, in one place for the client, the scheduler and the engine: a
 * non-empty, well-formed string that keeps a URL's meaning when it becomes a path segment.
 */

/** A UTF-16 surrogate without its pair: not text, and not encodable into a URL. */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a value is not a usable token id, or `undefined` when it is one. `.` and `..` are refused:
 * URL parsers resolve them even percent-encoded, so `…/metadata/..` would fetch the parent.
 */
export function tokenIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode';
  if (value === '.' || value === '..') return 'must not be "." or ".."';
  return undefined;
}

/** True for a value that {@link tokenIdProblem} accepts. */
export function isValidTokenId(value: unknown): value is string {
  return tokenIdProblem(value) === undefined;
}

/** An id met again: its index, and the index where it first appeared. */
export interface RepeatedId {
  id: string;
  index: number;
  first: number;
}

/** Every repeat in `ids`, in order (an id three times repeats twice). */
export function repeatsOf(ids: readonly string[]): RepeatedId[] {
  const seen = new Map<string, number>();
  const repeats: RepeatedId[] = [];
  for (const [index, id] of ids.entries()) {
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else repeats.push({ id, index, first });
  }
  return repeats;
}

/** What is wrong with a list of token ids, the first rule it breaks. */
export type TokenIdListProblem =
  | { kind: 'notArray' }
  | { kind: 'empty' }
  | { kind: 'tooMany'; count: number; max: number }
  | { kind: 'invalid'; items: [InvalidId, ...InvalidId[]] }
  | { kind: 'repeated'; repeats: [RepeatedId, ...RepeatedId[]] };

/** An item that is not a valid id: its index, the value, and why. */
export interface InvalidId {
  index: number;
  value: unknown;
  problem: string;
}

/**
 * The rules of a list of token ids, in one place for the clients, the engines, the mock and the
 * CLI: an array, not empty, at most `max` ids, each one valid (by `idProblem`: a usable id on
 * Immutable X, a uint256 on zkEVM), no id twice. `undefined` when the list keeps them all.
 */
export function tokenIdListProblem(
  value: unknown,
  {
    max = Number.POSITIVE_INFINITY,
    idProblem = tokenIdProblem,
  }: { max?: number; idProblem?: (value: unknown) => string | undefined } = {},
): TokenIdListProblem | undefined {
  if (!Array.isArray(value)) return { kind: 'notArray' };
  if (value.length === 0) return { kind: 'empty' };
  if (value.length > max) return { kind: 'tooMany', count: value.length, max };
  const invalid = value.flatMap((id, index): InvalidId[] => {
    const problem = idProblem(id);
    return problem === undefined ? [] : [{ index, value: id, problem }];
  });
  const [firstInvalid, ...moreInvalid] = invalid;
  if (firstInvalid) return { kind: 'invalid', items: [firstInvalid, ...moreInvalid] };
  const [firstRepeat, ...moreRepeats] = repeatsOf(value as string[]);
  return firstRepeat ? { kind: 'repeated', repeats: [firstRepeat, ...moreRepeats] } : undefined;
}

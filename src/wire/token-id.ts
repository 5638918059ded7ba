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

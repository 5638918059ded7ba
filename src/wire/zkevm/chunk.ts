/**
 * Splitting many refresh items into requests the platform accepts, by the rules in
 * `limits.ts`: so the client and the scheduler never re-derive the arithmetic of a list's size.
 */
import { optionChecks } from '../../option-checks.js';
import { MAX_ITEM_BYTES, MAX_LIST_BYTES, wireByteLength } from './limits.js';

/** The requests to send, and the items no request can carry. */
export interface RefreshChunks<T> {
  /** Lists in the input's order, each within `maxItems` and {@link MAX_LIST_BYTES}. */
  chunks: T[][];
  /** Items over {@link MAX_ITEM_BYTES} on their own: the platform refuses them in any list. */
  oversized: T[];
}

/**
 * Packs wire items (snake_case, as they will be sent) greedily into lists, in order. A list's
 * size is measured exactly as {@link wireByteLength} measures the array: the brackets, the
 * items and one comma between each two.
 *
 * @param maxItems `MAX_NFTS_PER_REFRESH` (250) or `MAX_STACKED_METADATA_PER_REFRESH` (10).
 */
export function chunkRefreshItems<T>(items: readonly T[], maxItems: number): RefreshChunks<T> {
  optionChecks('chunkRefreshItems').positiveInteger('maxItems', maxItems);
  const chunks: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let bytes = 2; // "[]"
  for (const item of items) {
    const size = wireByteLength(item);
    if (size > MAX_ITEM_BYTES) {
      oversized.push(item);
      continue;
    }
    // Equivalent when `current` is empty, the only case these two change: the brackets, one item
    // (at most 16 KiB) and a comma are far under 228 KiB, so the comma cannot decide a split.
    // (`false` and `<= 0` on this line are killed by the tests; they are disabled with them.)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, see above
    const added = size + (current.length > 0 ? 1 : 0);
    if (current.length === maxItems || bytes + added > MAX_LIST_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, oversized };
}

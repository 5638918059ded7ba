import { throwIfAborted } from '../clock.js';
import { PaginationCycleError, ResponseValidationError } from '../errors.js';
import type { CursorPage } from '../wire/mappers.js';

/** Fetches one page, starting after `cursor` (undefined for the first page). */
export type FetchPage<T> = (cursor: string | undefined) => Promise<CursorPage<T>>;

/**
 * The one cursor loop behind every `iterate*` method: fetch a page, yield its rows, follow
 * `cursor` while the page says more rows follow. Only one page is held at a time, so memory stays
 * flat over any number of rows (plus the cursors seen). Throws `AbortError` as soon as `signal`
 * aborts, `ResponseValidationError` if the server claims more rows but gives no new cursor, and
 * `PaginationCycleError` if a cursor comes back that this iteration already followed (A, B, A):
 * either would otherwise loop forever.
 */
export async function* paginate<T>(
  fetchPage: FetchPage<T>,
  options: { cursor?: string | undefined; signal?: AbortSignal | undefined } = {},
): AsyncGenerator<T, void, undefined> {
  const { signal } = options;
  let cursor = options.cursor;
  const seen = new Set<string>();
  if (cursor !== undefined) seen.add(cursor);
  for (;;) {
    throwIfAborted(signal);
    const page = await fetchPage(cursor);
    for (const row of page.result) {
      throwIfAborted(signal);
      yield row;
    }
    if (!page.hasMore) return;
    if (page.cursor === '') {
      throw new ResponseValidationError(
        'The API reported more rows but returned no cursor; stopping to avoid a loop',
        { body: page },
      );
    }
    if (seen.has(page.cursor)) {
      throw new PaginationCycleError(
        `The API returned cursor ${JSON.stringify(page.cursor.slice(0, 100))} a second time in one iteration; stopping to avoid a loop`,
        { body: page, cursor: page.cursor },
      );
    }
    seen.add(page.cursor);
    cursor = page.cursor;
  }
}

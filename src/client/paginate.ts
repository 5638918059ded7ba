import { throwIfAborted } from '../clock.js';
import { ResponseValidationError } from '../errors.js';
import type { CursorPage } from '../wire/mappers.js';

/** Fetches one page, starting after `cursor` (undefined for the first page). */
export type FetchPage<T> = (cursor: string | undefined) => Promise<CursorPage<T>>;

/**
 * The one cursor loop behind every `iterate*` method: fetch a page, yield its rows, follow
 * `cursor` while the page says more rows follow. Only one page is held at a time, so memory stays
 * flat over any number of rows. Throws `AbortError` as soon as `signal` aborts, and
 * `ResponseValidationError` if the server claims more rows but its cursor does not move (which
 * would otherwise loop forever).
 */
export async function* paginate<T>(
  fetchPage: FetchPage<T>,
  options: { cursor?: string | undefined; signal?: AbortSignal | undefined } = {},
): AsyncGenerator<T, void, undefined> {
  const { signal } = options;
  let cursor = options.cursor;
  for (;;) {
    throwIfAborted(signal);
    const page = await fetchPage(cursor);
    for (const row of page.result) {
      throwIfAborted(signal);
      yield row;
    }
    if (!page.hasMore) return;
    if (page.cursor === '' || page.cursor === cursor) {
      throw new ResponseValidationError(
        'The API reported more rows but returned no new cursor; stopping to avoid a loop',
        { body: page },
      );
    }
    cursor = page.cursor;
  }
}

import { throwIfAborted } from '../clock.js';
import { PaginationCycleError, ResponseValidationError } from '../errors.js';
import type { CursorPage } from '../wire/mappers.js';
import { assertCursor } from './validate.js';

/** Fetches one page, starting after `cursor` (undefined for the first page). */
export type FetchPage<T> = (cursor: string | undefined) => Promise<CursorPage<T>>;

/**
 * What every `iterate*` method returns: an async generator of the rows, one page fetched at a
 * time, that can tell after any row where a later iteration should start to go on from there.
 *
 * @example
 * ```ts
 * const rows = client.iterateRefreshErrors(refreshId, { cursor: await load() });
 * for await (const row of rows) {
 *   await handle(row);
 *   await save(rows.cursor); // a crash after this line resumes after `row`
 * }
 * ```
 */
export interface ResumableIterator<T> extends AsyncGenerator<T, void, undefined> {
  /**
   * The `cursor` option that makes a new iteration (same method, same filters; the page size may
   * differ) yield exactly the rows this one has not yielded yet. Undefined means "from the
   * beginning". Read it after a row has been handled and persist it; it stays valid after the
   * loop breaks, throws or is aborted.
   *
   * - Before the first row: the `cursor` the iteration was started with.
   * - After the last row of a page that has a next page: the API's own cursor of that next page
   *   (the same string `listRefreshes`/`getRefreshErrors`/`listNfts` return), so resuming there
   *   has only the API's cursor semantics.
   * - Inside a page (and after the last row of the last page): the cursor of that page plus the
   *   number of its rows already yielded, as `~<count>~<page cursor>`. Resuming fetches that
   *   page again and drops that many rows from its start. This is exact when the API returns
   *   the same rows for that cursor as before; if rows were inserted or removed before that
   *   position in the meantime, as many rows are yielded again or skipped. Resuming after the
   *   last row of the last page yields only rows added after it since.
   *
   * Treat it as opaque. A page's cursor from `listRefreshes`, `getRefreshErrors` or `listNfts`
   * is accepted as it is (the APIs' cursors are base64url, never of the `~<count>~` form).
   */
  readonly cursor: string | undefined;
}

/** The `cursor` option of every `iterate*` method. */
export interface ResumeOptions {
  /**
   * Start where an earlier iteration left off: its iterator's `cursor`, read after the last row
   * it handled (see {@link ResumableIterator.cursor}), or a page's cursor. Give the same filters
   * as that iteration. Default: the beginning.
   */
  cursor?: string | undefined;
}

/** Options of {@link paginate}. */
export interface PaginateOptions {
  /** See {@link ResumeOptions.cursor}. */
  cursor?: string | undefined;
  /** Stop iterating (the loop throws `AbortError`). */
  signal?: AbortSignal | undefined;
}

// A position inside a page: `~<rows of the page already yielded>~<the page's cursor>`. The API's
// cursors are base64url, so they never look like this; one that does is escaped as `~0~<cursor>`.
const IN_PAGE = /^~(\d{1,15})~([\s\S]*)$/;

interface Position {
  /** The cursor of the page to fetch; undefined for the first page. */
  cursor: string | undefined;
  /** Rows to drop from the start of what follows `cursor`: they were yielded before. */
  skip: number;
}

function encodePosition({ cursor, skip }: Position): string | undefined {
  if (skip === 0 && (cursor === undefined || !IN_PAGE.test(cursor))) return cursor;
  return `~${skip}~${cursor ?? ''}`;
}

function decodePosition(value: string | undefined): Position {
  if (value === undefined || value === '') return { cursor: undefined, skip: 0 };
  const match = IN_PAGE.exec(value);
  if (match === null) return { cursor: value, skip: 0 };
  const cursor = match[2] === '' ? undefined : match[2];
  return { cursor, skip: Number(match[1]) };
}

/**
 * The one cursor loop behind every `iterate*` method: fetch a page, yield its rows, follow
 * `cursor` while the page says more rows follow. Only one page is held at a time, so memory stays
 * flat over any number of rows (plus the cursors seen). Starts at `options.cursor` (see
 * {@link ResumableIterator.cursor}). Throws `InvalidRequestError` at once if `cursor` is not a
 * string; while iterating, `AbortError` as soon as `signal` aborts, `ResponseValidationError` if
 * the server claims more rows but gives no new cursor, and `PaginationCycleError` if a cursor
 * comes back that this iteration already followed (A, B, A): either would otherwise loop forever.
 */
export function paginate<T>(
  fetchPage: FetchPage<T>,
  options: PaginateOptions = {},
): ResumableIterator<T> {
  const { signal } = options;
  const start = decodePosition(assertCursor(options.cursor));
  const seen = new Set<string>();
  if (start.cursor !== undefined) seen.add(start.cursor);

  // The position, changed only between awaits so the getter never sees half of an update:
  // `from` fetched (or will fetch) `page`, of which `taken` rows are yielded or skipped, and
  // `skip` rows more are still to drop (only when a resumed position ran past a shorter page).
  let from = start.cursor;
  let page: CursorPage<T> | undefined;
  let taken = 0;
  let skip = start.skip;

  async function* rows(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      throwIfAborted(signal);
      const fetched = await fetchPage(from);
      page = fetched;
      taken = Math.min(skip, fetched.result.length);
      skip -= taken;
      while (taken < fetched.result.length) {
        throwIfAborted(signal);
        const row = fetched.result[taken] as T;
        taken++;
        yield row;
      }
      if (!fetched.hasMore) return;
      if (fetched.cursor === '') {
        throw new ResponseValidationError(
          'The API reported more rows but returned no cursor; stopping to avoid a loop',
          { body: fetched },
        );
      }
      if (seen.has(fetched.cursor)) {
        throw new PaginationCycleError(
          `The API returned cursor ${JSON.stringify(fetched.cursor.slice(0, 100))} a second time in one iteration; stopping to avoid a loop`,
          { body: fetched, cursor: fetched.cursor },
        );
      }
      seen.add(fetched.cursor);
      from = fetched.cursor;
      page = undefined;
      taken = 0;
    }
  }

  const iterator = rows();
  Object.defineProperty(iterator, 'cursor', {
    enumerable: true,
    get(): string | undefined {
      if (page === undefined) return encodePosition({ cursor: from, skip });
      const next = page.cursor;
      const pageDone = taken === page.result.length && skip === 0;
      // At the end of a page the next page's own cursor is the better answer: it carries no
      // count that could drift. Not when that cursor is missing or repeated: the loop throws
      // there, and resuming must meet the same page again rather than jump past it.
      if (pageDone && page.hasMore && next !== '' && !seen.has(next)) {
        return encodePosition({ cursor: next, skip: 0 });
      }
      return encodePosition({ cursor: from, skip: taken + skip });
    },
  });
  return iterator as ResumableIterator<T>;
}

// The cursor loop behind every iterate* method, driven by in-memory pages, then resuming through
// the clients against the engines.
import { describe, expect, it } from 'vitest';
import { type FetchPage, paginate, type ResumableIterator } from '../../src/client/paginate.js';
import {
  AbortError,
  ConnectionError,
  InvalidRequestError,
  PaginationCycleError,
  ResponseValidationError,
} from '../../src/index.js';
import type { CursorPage } from '../../src/wire/mappers.js';
import { COLLECTION, REFRESH_ID } from '../support/fixtures.js';
import { useMock } from '../support/mock.js';
import { CONTRACT, useZkEvm } from '../support/zkevm-engine.js';

/**
 * A keyset-paged list over `rows`: the cursor `c<i>` means "from row i on", so any page size
 * meets the same rows after the same cursor. `rows` is read on every fetch: a test may change it
 * between iterations. Records the cursor of every fetch.
 */
function listOf(rows: string[], pageSize: number) {
  const fetched: (string | undefined)[] = [];
  const fetchPage: FetchPage<string> = async (cursor) => {
    fetched.push(cursor);
    const from = cursor === undefined ? 0 : Number(cursor.slice(1));
    const end = Math.min(from + pageSize, rows.length);
    return { result: rows.slice(from, end), cursor: `c${end}`, hasMore: end < rows.length };
  };
  return { fetchPage, fetched };
}

/** Serves `pages` in order, whatever the cursor; records the cursors asked for. */
function scripted(pages: CursorPage<string>[]) {
  const fetched: (string | undefined)[] = [];
  const fetchPage: FetchPage<string> = async (cursor) => {
    fetched.push(cursor);
    const page = pages[fetched.length - 1];
    if (page === undefined) throw new Error('fetched past the scripted pages');
    return page;
  };
  return { fetchPage, fetched };
}

async function drain<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const rows: T[] = [];
  for await (const row of iterator) rows.push(row);
  return rows;
}

/** Takes `count` rows, then stops the loop; returns them and the iterator's cursor at that point. */
async function take<T>(iterator: ResumableIterator<T>, count: number) {
  const rows: T[] = [];
  if (count > 0) {
    for await (const row of iterator) {
      rows.push(row);
      if (rows.length === count) break;
    }
  }
  return { rows, cursor: iterator.cursor };
}

const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));

describe('paginate: the loop', () => {
  it('follows each page cursor and stops at the first page without more rows', async () => {
    const { fetchPage, fetched } = listOf(letters(7), 3);
    expect(await drain(paginate(fetchPage))).toEqual(letters(7));
    expect(fetched).toEqual([undefined, 'c3', 'c6']);
  });

  it('stops on hasMore false even when the page still carries a cursor, and on an empty page', async () => {
    const last = scripted([{ result: ['a'], cursor: 'next', hasMore: false }]);
    expect(await drain(paginate(last.fetchPage))).toEqual(['a']);
    expect(last.fetched).toEqual([undefined]);

    const empty = scripted([{ result: [], cursor: '', hasMore: false }]);
    expect(await drain(paginate(empty.fetchPage))).toEqual([]);
    expect(empty.fetched).toEqual([undefined]);
  });

  it('follows an empty page that says more rows follow', async () => {
    const { fetchPage, fetched } = scripted([
      { result: ['a'], cursor: 'A', hasMore: true },
      { result: [], cursor: 'B', hasMore: true },
      { result: ['b'], cursor: '', hasMore: false },
    ]);
    expect(await drain(paginate(fetchPage))).toEqual(['a', 'b']);
    expect(fetched).toEqual([undefined, 'A', 'B']);
  });

  it('fetches a page only when the loop asks for its first row', async () => {
    const { fetchPage, fetched } = listOf(letters(7), 3);
    const iterator = paginate(fetchPage);
    expect(fetched).toEqual([]);
    for (let i = 0; i < 3; i++) await iterator.next();
    expect(fetched).toEqual([undefined]);
    await iterator.next();
    expect(fetched).toEqual([undefined, 'c3']);
  });

  it('refuses "more rows" without a cursor, after yielding the rows it got', async () => {
    const { fetchPage, fetched } = scripted([{ result: ['a', 'b'], cursor: '', hasMore: true }]);
    const rows: string[] = [];
    const error = await (async () => {
      for await (const row of paginate(fetchPage)) rows.push(row);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error).not.toBeInstanceOf(PaginationCycleError);
    expect(rows).toEqual(['a', 'b']);
    expect(fetched).toHaveLength(1);
  });

  it('throws PaginationCycleError when a followed cursor comes back (A, B, A)', async () => {
    const { fetchPage, fetched } = scripted([
      { result: ['1'], cursor: 'A', hasMore: true },
      { result: ['2'], cursor: 'B', hasMore: true },
      { result: ['3'], cursor: 'A', hasMore: true },
    ]);
    const rows: string[] = [];
    const error = await (async () => {
      for await (const row of paginate(fetchPage)) rows.push(row);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaginationCycleError);
    expect(error).toMatchObject({ cursor: 'A' });
    expect(rows).toEqual(['1', '2', '3']);
    expect(fetched).toEqual([undefined, 'A', 'B']);
  });

  it('counts the cursor it started from as followed', async () => {
    const { fetchPage, fetched } = scripted([{ result: ['1'], cursor: 'A', hasMore: true }]);
    const error = await drain(paginate(fetchPage, { cursor: 'A' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaginationCycleError);
    expect(fetched).toEqual(['A']);
  });

  it('does not fetch at all when the signal has already aborted', async () => {
    const { fetchPage, fetched } = listOf(letters(7), 3);
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    const iterator = paginate(fetchPage, { signal: controller.signal });
    const error = await iterator.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error('shutdown'));
    expect(fetched).toEqual([]);
  });

  it('stops before the next row once the signal aborts, mid-page, fetching nothing more', async () => {
    const { fetchPage, fetched } = listOf(letters(7), 3);
    const controller = new AbortController();
    const iterator = paginate(fetchPage, { signal: controller.signal });
    const rows: string[] = [];
    const error = await (async () => {
      for await (const row of iterator) {
        rows.push(row);
        if (rows.length === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(rows).toEqual(['a', 'b']);
    expect(fetched).toEqual([undefined]);
    // The position survives the abort: resuming yields what the aborted loop did not.
    expect(await drain(paginate(fetchPage, { cursor: iterator.cursor }))).toEqual(
      letters(7).slice(2),
    );
  });

  it('refuses a cursor that is not a string at once, with InvalidRequestError', () => {
    const { fetchPage, fetched } = listOf(letters(3), 3);
    expect(() => paginate(fetchPage, { cursor: 42 as unknown as string })).toThrow(
      InvalidRequestError,
    );
    expect(fetched).toEqual([]);
  });
});

describe('paginate: resuming from the cursor', () => {
  const ROWS = letters(8);

  it('after any number of rows, a new iteration from the cursor yields exactly the rest', async () => {
    for (let count = 0; count <= ROWS.length; count++) {
      const list = listOf(ROWS, 3);
      const first = await take(paginate(list.fetchPage), count);
      const rest = await drain(paginate(list.fetchPage, { cursor: first.cursor }));
      expect([...first.rows, ...rest], `stopped after ${count}`).toEqual(ROWS);
      expect(first.rows).toHaveLength(count);
    }
  });

  it('resumes across several crashes, one cursor saved after each handled row', async () => {
    const list = listOf(ROWS, 3);
    let saved: string | undefined;
    const handled: string[] = [];
    // Each run "crashes" (throws) while handling its third row, before saving for it.
    for (let run = 0; run < 10 && handled.length < ROWS.length; run++) {
      const iterator = paginate(list.fetchPage, { cursor: saved });
      let inRun = 0;
      try {
        for await (const row of iterator) {
          if (++inRun === 3) throw new Error('crash');
          handled.push(row);
          saved = iterator.cursor;
        }
      } catch (error) {
        expect(error).toEqual(new Error('crash'));
      }
    }
    expect(handled).toEqual(ROWS);
  });

  it('is the start cursor, then a page position, then the next page cursor at a page end', async () => {
    const { fetchPage } = listOf(ROWS, 3);
    const iterator = paginate(fetchPage, { cursor: 'c3' });
    expect(iterator.cursor).toBe('c3');
    await iterator.next(); // d
    expect(iterator.cursor).toBe('~1~c3');
    await iterator.next(); // e
    expect(iterator.cursor).toBe('~2~c3');
    await iterator.next(); // f, the last row of its page: the API's own cursor of the next
    expect(iterator.cursor).toBe('c6');
    expect(paginate(fetchPage).cursor).toBeUndefined();
  });

  it('mid-page of the first page, the position has no page cursor', async () => {
    const { fetchPage, fetched } = listOf(ROWS, 3);
    const { cursor } = await take(paginate(fetchPage), 1);
    expect(cursor).toBe('~1~');
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual(ROWS.slice(1));
    expect(fetched.at(-3)).toBeUndefined(); // the resumed run fetched the first page again
  });

  it('resumes with another page size', async () => {
    const { fetchPage } = listOf(ROWS, 3);
    const { cursor } = await take(paginate(fetchPage), 2); // '~2~': two rows into the first page
    const smaller = listOf(ROWS, 1);
    expect(await drain(paginate(smaller.fetchPage, { cursor }))).toEqual(ROWS.slice(2));
    // The two rows already had were skipped over two one-row pages, not yielded again.
    expect(smaller.fetched.slice(0, 3)).toEqual([undefined, 'c1', 'c2']);
  });

  it('stays at the last row handled when fetching the next page fails', async () => {
    const list = listOf(ROWS, 3);
    let calls = 0;
    const flaky: FetchPage<string> = async (cursor) => {
      if (++calls === 2) throw new ConnectionError('socket hang up', { nothingSent: true });
      return list.fetchPage(cursor);
    };
    const iterator = paginate(flaky);
    const rows: string[] = [];
    await expect(
      (async () => {
        for await (const row of iterator) rows.push(row);
      })(),
    ).rejects.toBeInstanceOf(ConnectionError);
    expect(rows).toEqual(['a', 'b', 'c']);
    expect(iterator.cursor).toBe('c3');
    expect(await drain(paginate(list.fetchPage, { cursor: iterator.cursor }))).toEqual(
      ROWS.slice(3),
    );
  });

  it('after the last row, resuming yields only rows added since', async () => {
    const rows = letters(5);
    const { fetchPage } = listOf(rows, 3);
    const iterator = paginate(fetchPage);
    expect(await drain(iterator)).toEqual(rows);
    const { cursor } = iterator;
    expect(cursor).toBe('~2~c3');
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual([]);
    rows.push('f');
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual(['f']);
  });

  it('mid-page, a row inserted before the position since is yielded again (as documented)', async () => {
    const rows = letters(6);
    const { fetchPage } = listOf(rows, 3);
    const { cursor } = await take(paginate(fetchPage), 2); // a, b
    rows.splice(1, 0, 'a2'); // a, a2, b, c, ...: b moves to third place
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual(['b', 'c', 'd', 'e', 'f']);
  });

  it('at a page end, the next cursor is not affected by rows inserted before it', async () => {
    // A keyset cursor points at a row, not an offset: model one by cursors naming the next row.
    const rows = letters(6);
    const fetchPage: FetchPage<string> = async (cursor) => {
      const from = cursor === undefined ? 0 : rows.indexOf(cursor);
      const page = rows.slice(from, from + 3);
      const next = rows[from + 3];
      return { result: page, cursor: next ?? '', hasMore: next !== undefined };
    };
    const { cursor } = await take(paginate(fetchPage), 3);
    expect(cursor).toBe('d');
    rows.unshift('new');
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual(['d', 'e', 'f']);
  });

  it('does not point past a page whose next cursor is missing or repeated', async () => {
    const noCursor = scripted([
      { result: ['a'], cursor: 'A', hasMore: true },
      { result: ['b'], cursor: '', hasMore: true },
    ]);
    const iterator = paginate(noCursor.fetchPage);
    await expect(drain(iterator)).rejects.toBeInstanceOf(ResponseValidationError);
    // After 'b', the position is inside page A: resuming meets the same broken page again.
    expect(iterator.cursor).toBe('~1~A');

    const cycle = scripted([
      { result: ['a'], cursor: 'A', hasMore: true },
      { result: ['b'], cursor: 'A', hasMore: true },
    ]);
    const cyclic = paginate(cycle.fetchPage);
    await expect(drain(cyclic)).rejects.toBeInstanceOf(PaginationCycleError);
    expect(cyclic.cursor).toBe('~1~A');
  });

  it('takes an API cursor that looks like a position only in the escaped form it hands out', async () => {
    // Cursors of the form ~<n>~… (no API sends them) are escaped as ~0~<cursor>.
    const rows = letters(4);
    const fetched: (string | undefined)[] = [];
    const fetchPage: FetchPage<string> = async (cursor) => {
      fetched.push(cursor);
      const from = cursor === undefined ? 0 : Number(cursor.slice(3));
      const end = Math.min(from + 2, rows.length);
      return { result: rows.slice(from, end), cursor: `~9~${end}`, hasMore: end < rows.length };
    };
    const { cursor } = await take(paginate(fetchPage), 2);
    expect(cursor).toBe('~0~~9~2');
    expect(await drain(paginate(fetchPage, { cursor }))).toEqual(['c', 'd']);
    expect(fetched.at(-1)).toBe('~9~2');
  });

  it('treats an empty cursor as the beginning', async () => {
    const { fetchPage, fetched } = listOf(ROWS, 3);
    expect(await drain(paginate(fetchPage, { cursor: '' }))).toEqual(ROWS);
    expect(fetched[0]).toBeUndefined();
  });
});

describe('resuming through MetadataRefreshClient', () => {
  const api = useMock({
    collections: [{ address: COLLECTION, metadataApiUrl: 'https://metadata-api.io' }],
  });
  const CREATED_AT = Date.parse('2022-09-06T02:14:04.935Z');

  function seedErrors(total: number) {
    api.mock.seedRefresh({
      collectionAddress: COLLECTION,
      refreshId: REFRESH_ID,
      succeeded: 2,
      failed: Array.from({ length: total }, (_, i) => ({
        tokenId: String(i),
        createdAt: new Date(CREATED_AT + i),
      })),
    });
  }

  it('iterateRefreshErrors resumes mid-page and at a page end without repeating a row', async () => {
    seedErrors(25);
    const client = api.client();
    for (const count of [13, 20]) {
      const first = await take(client.iterateRefreshErrors(REFRESH_ID, { pageSize: 10 }), count);
      const rest = await drain(
        client.iterateRefreshErrors(REFRESH_ID, { pageSize: 10, cursor: first.cursor }),
      );
      expect([...first.rows, ...rest].map((e) => e.tokenId)).toEqual(
        Array.from({ length: 25 }, (_, i) => String(i)),
      );
    }
    // At a page end the cursor is the API's own: the same string getRefreshErrors returns.
    const page = await client.getRefreshErrors(REFRESH_ID, { pageSize: 10 });
    const { cursor } = await take(client.iterateRefreshErrors(REFRESH_ID, { pageSize: 10 }), 10);
    expect(cursor).toBe(page.cursor);
  });

  it('iterateRefreshes resumes from a cursor, keeping the collection filter', async () => {
    const start = Date.parse('2022-09-06T01:00:00Z');
    for (const i of [1, 2, 3, 4, 5]) {
      api.mock.seedRefresh({
        collectionAddress: COLLECTION,
        refreshId: `r${i}`,
        succeeded: 1,
        startedAt: new Date(start + i * 60_000),
      });
    }
    const client = api.client();
    const first = await take(
      client.iterateRefreshes({ collectionAddress: COLLECTION, pageSize: 2 }),
      3,
    );
    const rest = await drain(
      client.iterateRefreshes({ collectionAddress: COLLECTION, pageSize: 2, cursor: first.cursor }),
    );
    expect([...first.rows, ...rest].map((r) => r.refreshId)).toEqual([
      'r5',
      'r4',
      'r3',
      'r2',
      'r1',
    ]);
    expect(api.mock.requests.at(-1)?.query.collection_address).toBe(COLLECTION);
  });

  it('the README\'s "Resuming a long iteration" block, as written there, survives a crash', async () => {
    seedErrors(25);
    const client = api.client();
    const refreshId = REFRESH_ID;
    let stored: string | undefined;
    const loadCursor = async () => stored;
    const saveCursor = async (cursor: string | undefined) => {
      stored = cursor;
    };
    const handled: string[] = [];
    let crashAt: number | undefined = 13; // the first run dies while handling its 14th row
    const handle = async (e: { tokenId: string }) => {
      if (handled.length === crashAt) throw new Error('crash');
      handled.push(e.tokenId);
    };
    const run = async () => {
      const errors = client.iterateRefreshErrors(refreshId, { cursor: await loadCursor() });
      for await (const e of errors) {
        await handle(e);
        await saveCursor(errors.cursor);
      }
    };
    await expect(run()).rejects.toThrow('crash');
    crashAt = undefined;
    await run();
    expect(handled).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('refuses a bad page size or cursor when called, before any request', () => {
    const client = api.client();
    for (const pageSize of [0, -1, 1.5, Number.NaN]) {
      expect(() => client.iterateRefreshErrors(REFRESH_ID, { pageSize })).toThrow(
        InvalidRequestError,
      );
      expect(() => client.iterateRefreshes({ pageSize })).toThrow(InvalidRequestError);
    }
    expect(() => client.iterateRefreshes({ cursor: 7 as unknown as string })).toThrow(
      /cursor must be a string/,
    );
    expect(api.mock.requests).toEqual([]);
  });
});

describe('resuming through ZkEvmMetadataClient', () => {
  const tokenIds = Array.from({ length: 250 }, (_, i) => String(i + 1));
  const api = useZkEvm({ collections: [{ address: CONTRACT, tokenIds }] });

  it('iterateNfts resumes mid-page from the cursor', async () => {
    const zk = api.client();
    const first = await take(zk.iterateNfts({ contractAddress: CONTRACT, pageSize: 100 }), 150);
    expect(first.cursor).toMatch(/^~50~./);
    const rest = await drain(
      zk.iterateNfts({ contractAddress: CONTRACT, pageSize: 100, cursor: first.cursor }),
    );
    expect([...first.rows, ...rest].map((n) => n.tokenId)).toEqual(tokenIds);
  });

  it('refuses a page size the API does not take, before any request', () => {
    const zk = api.client();
    for (const pageSize of [0, 201]) {
      expect(() => zk.iterateNfts({ contractAddress: CONTRACT, pageSize })).toThrow(
        InvalidRequestError,
      );
    }
    expect(api.requests).toEqual([]);
  });
});

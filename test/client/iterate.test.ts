import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  MetadataRefreshClient,
  PaginationCycleError,
  type RefreshError,
  ResponseValidationError,
} from '../../src/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshErrorWire,
  refreshListItemWire,
} from '../support/fixtures.js';
import { useMock } from '../support/mock.js';
import { recorded, server } from '../support/msw.js';

const REFRESHES = `${BASE_URL}/v1/metadata-refreshes`;

describe('against the engine (the mock)', () => {
  const api = useMock({
    collections: [{ address: COLLECTION, metadataApiUrl: 'https://metadata-api.io' }],
  });
  const client = () => api.client();
  const CREATED_AT = Date.parse('2022-09-06T02:14:04.935Z');

  /** Seeds REFRESH_ID with `total` failed tokens '0', '1', ..., recorded a millisecond apart. */
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

  describe('getRefreshErrors', () => {
    it('maps one page (service form), and its cursor leads to the next', async () => {
      seedErrors(3);
      const page = await client().getRefreshErrors(REFRESH_ID, { pageSize: 2 });
      expect(page.hasMore).toBe(true);
      expect(page.result[0]).toEqual<RefreshError>({
        tokenId: '0',
        collectionAddress: COLLECTION,
        clientTokenMetadataUrl: 'https://metadata-api.io/0',
        clientResponseStatusCode: 404,
        clientResponseBody: '404 page not found\n',
        errorCode: 'invalid_response_status_code',
        createdAt: '2022-09-06T02:14:04.935Z',
      });
      expect(api.mock.requests[0]?.query.page_size).toBe('2');
      const next = await client().getRefreshErrors(REFRESH_ID, {
        pageSize: 2,
        cursor: page.cursor,
      });
      expect(next.result.map((e) => e.tokenId)).toEqual(['2']);
      expect(next.hasMore).toBe(false);
      expect(api.mock.requests[1]?.query.cursor).toBe(page.cursor);
    });
  });

  describe('iterateRefreshErrors', () => {
    it('follows the cursor across pages and stops when nothing remains', async () => {
      seedErrors(25);
      const ids: string[] = [];
      for await (const error of client().iterateRefreshErrors(REFRESH_ID, { pageSize: 10 })) {
        ids.push(error.tokenId);
      }
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
      // Each request carries the cursor of the page before it, unchanged.
      const sent = api.mock.requests.map((r) => r.query.cursor);
      const first = await client().getRefreshErrors(REFRESH_ID, { pageSize: 10 });
      const second = await client().getRefreshErrors(REFRESH_ID, {
        pageSize: 10,
        cursor: first.cursor,
      });
      expect(sent).toEqual([undefined, first.cursor, second.cursor]);
    });

    it('fetches one page at a time, only as the loop asks for rows', async () => {
      seedErrors(25);
      const iterator = client().iterateRefreshErrors(REFRESH_ID, { pageSize: 10 });
      await iterator.next();
      expect(api.mock.requests).toHaveLength(1);
      await iterator.return(undefined);
      expect(api.mock.requests).toHaveLength(1);
    });

    it('stops with AbortError when the signal aborts, without fetching more', async () => {
      seedErrors(25);
      const controller = new AbortController();
      const seen: string[] = [];
      const loop = async () => {
        for await (const error of client().iterateRefreshErrors(REFRESH_ID, {
          pageSize: 10,
          signal: controller.signal,
        })) {
          seen.push(error.tokenId);
          if (seen.length === 12) controller.abort();
        }
      };
      await expect(loop()).rejects.toBeInstanceOf(AbortError);
      expect(seen).toHaveLength(12);
      expect(api.mock.requests).toHaveLength(2);
    });

    it('yields nothing for a refresh without errors', async () => {
      seedErrors(0);
      const rows = [];
      for await (const row of client().iterateRefreshErrors(REFRESH_ID)) rows.push(row);
      expect(rows).toEqual([]);
      expect(api.mock.requests).toHaveLength(1);
    });
  });

  describe('listRefreshes and iterateRefreshes', () => {
    it('filters by collection and pages through every refresh', async () => {
      const ids = ['r5', 'r4', 'r3', 'r2', 'r1'];
      const start = Date.parse('2022-09-06T01:00:00Z');
      for (const [i, refreshId] of [...ids].reverse().entries()) {
        api.mock.seedRefresh({
          collectionAddress: COLLECTION,
          refreshId,
          succeeded: 1,
          startedAt: new Date(start + i * 60_000),
        });
      }
      // The newest refresh is of another collection: the filter must leave it out.
      api.mock.seedRefresh({
        collectionAddress: `0x${'ab'.repeat(20)}`,
        refreshId: 'other',
        succeeded: 1,
        startedAt: new Date(start + 3_600_000),
      });
      const page = await client().listRefreshes({ collectionAddress: COLLECTION, pageSize: 2 });
      expect(page.result.map((r) => r.refreshId)).toEqual(['r5', 'r4']);
      expect(page.result[0]).not.toHaveProperty('summary');
      expect(api.mock.requests[0]?.query.collection_address).toBe(COLLECTION);

      const all: string[] = [];
      for await (const refresh of client().iterateRefreshes({
        collectionAddress: COLLECTION,
        pageSize: 2,
      })) {
        all.push(refresh.refreshId);
      }
      expect(all).toEqual(ids);
    });
  });
});

describe('upstream variants (hand-written fixtures)', () => {
  const client = () =>
    new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock: createTestClock() });

  it('getRefreshErrors maps one page of the upstream form (status code as a string)', async () => {
    server.use(
      http.get(`${REFRESHES}/:id/errors`, () =>
        HttpResponse.json({
          result: ['0', '1'].map((id) => refreshErrorWire('upstream', id)),
          cursor: '2',
          remaining: 1,
        }),
      ),
    );
    const page = await client().getRefreshErrors(REFRESH_ID, { pageSize: 2 });
    expect(page.hasMore).toBe(true);
    expect(page.cursor).toBe('2');
    expect(page.result[0]).toEqual<RefreshError>({
      tokenId: '0',
      collectionAddress: COLLECTION,
      clientTokenMetadataUrl: 'https://metadata-api.io/0',
      clientResponseStatusCode: 404,
      clientResponseBody: '404 page not found\n',
      errorCode: 'invalid_response_status_code',
      createdAt: '2022-09-06T02:14:04.935946Z',
    });
    expect(recorded[0]?.url.searchParams.get('page_size')).toBe('2');
  });

  it('iterateRefreshErrors refuses a server that claims more rows but repeats its cursor', async () => {
    server.use(
      http.get(`${REFRESHES}/:id/errors`, () =>
        HttpResponse.json({
          result: [refreshErrorWire('service', '1')],
          cursor: 'same',
          remaining: 1,
        }),
      ),
    );
    const loop = async () => {
      for await (const _ of client().iterateRefreshErrors(REFRESH_ID)) {
        // drain
      }
    };
    await expect(loop()).rejects.toBeInstanceOf(ResponseValidationError);
    expect(recorded).toHaveLength(2);
  });

  // A, B, A, B ...: each cursor differs from the one before, so only a memory of every cursor
  // of the iteration ends it.
  it.each([
    [
      'iterateRefreshErrors',
      `${REFRESHES}/:id/errors`,
      () => refreshErrorWire('service', '1'),
      (c: MetadataRefreshClient) => c.iterateRefreshErrors(REFRESH_ID),
    ],
    [
      'iterateRefreshes',
      REFRESHES,
      () => refreshListItemWire('r1'),
      (c: MetadataRefreshClient) => c.iterateRefreshes(),
    ],
  ] as const)(
    '%s stops with PaginationCycleError on a cursor cycle',
    async (_, url, row, iterate) => {
      const next: Record<string, string> = { '': 'A', A: 'B', B: 'A' };
      server.use(
        http.get(url, ({ request }) =>
          HttpResponse.json({
            result: [row()],
            cursor: next[new URL(request.url).searchParams.get('cursor') ?? ''],
            remaining: 1,
          }),
        ),
      );
      let rows = 0;
      const loop = async () => {
        for await (const _ of iterate(client())) rows++;
      };
      const error = await loop().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaginationCycleError);
      expect(error).toBeInstanceOf(ResponseValidationError);
      expect(error).toMatchObject({ cursor: 'A' });
      expect(recorded.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, 'A', 'B']);
      expect(rows).toBe(3);
    },
  );
});

import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  MetadataRefreshClient,
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
  type Variant,
} from '../support/fixtures.js';
import { recorded, server } from '../support/msw.js';

const REFRESHES = `${BASE_URL}/v1/metadata-refreshes`;
const client = () =>
  new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock: createTestClock() });

/** Serves `total` error rows in pages, with cursor = index of the next row. */
function serveErrors(total: number, variant: Variant = 'service') {
  server.use(
    http.get(`${REFRESHES}/:id/errors`, ({ request }) => {
      const url = new URL(request.url);
      const size = Number(url.searchParams.get('page_size') ?? 100);
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const end = Math.min(total, start + size);
      const result = [];
      for (let i = start; i < end; i++) result.push(refreshErrorWire(variant, String(i)));
      return HttpResponse.json({ result, cursor: String(end), remaining: end < total ? 1 : 0 });
    }),
  );
}

describe('getRefreshErrors', () => {
  it.each<Variant>(['service', 'upstream'])('maps one page (%s variant)', async (variant) => {
    serveErrors(3, variant);
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
});

describe('iterateRefreshErrors', () => {
  it('follows the cursor across pages and stops when nothing remains', async () => {
    serveErrors(25);
    const ids: string[] = [];
    for await (const error of client().iterateRefreshErrors(REFRESH_ID, { pageSize: 10 })) {
      ids.push(error.tokenId);
    }
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(recorded.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, '10', '20']);
  });

  it('fetches one page at a time, only as the loop asks for rows', async () => {
    serveErrors(25);
    const iterator = client().iterateRefreshErrors(REFRESH_ID, { pageSize: 10 });
    await iterator.next();
    expect(recorded).toHaveLength(1);
    await iterator.return(undefined);
    expect(recorded).toHaveLength(1);
  });

  it('stops with AbortError when the signal aborts, without fetching more', async () => {
    serveErrors(25);
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
    expect(recorded).toHaveLength(2);
  });

  it('refuses a server that claims more rows but repeats its cursor', async () => {
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

  it('yields nothing for a refresh without errors', async () => {
    serveErrors(0);
    const rows = [];
    for await (const row of client().iterateRefreshErrors(REFRESH_ID)) rows.push(row);
    expect(rows).toEqual([]);
  });
});

describe('listRefreshes and iterateRefreshes', () => {
  it('filters by collection and pages through every refresh', async () => {
    const ids = ['r5', 'r4', 'r3', 'r2', 'r1'];
    server.use(
      http.get(REFRESHES, ({ request }) => {
        const url = new URL(request.url);
        const start = Number(url.searchParams.get('cursor') ?? 0);
        const size = Number(url.searchParams.get('page_size'));
        const end = Math.min(ids.length, start + size);
        return HttpResponse.json({
          result: ids.slice(start, end).map(refreshListItemWire),
          cursor: String(end),
          remaining: end < ids.length ? 1 : 0,
        });
      }),
    );
    const page = await client().listRefreshes({ collectionAddress: COLLECTION, pageSize: 2 });
    expect(page.result.map((r) => r.refreshId)).toEqual(['r5', 'r4']);
    expect(page.result[0]).not.toHaveProperty('summary');
    expect(recorded[0]?.url.searchParams.get('collection_address')).toBe(COLLECTION);

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

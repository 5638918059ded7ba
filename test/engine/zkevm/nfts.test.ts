import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/engine/cursor.js';
import { MAX_UINT256 } from '../../../src/wire/zkevm/limits.js';
import {
  COLLECTION,
  errorOf,
  item,
  manualClock,
  OTHER_COLLECTION,
  paths,
  START,
  setup,
} from './harness.js';

type Page = {
  result: Array<{ token_id: string }>;
  page: { previous_cursor: string | null; next_cursor: string | null };
};
const pageOf = (res: { body: unknown }) => res.body as Page;
const tokenIds = (res: { body: unknown }) => pageOf(res).result.map((n) => n.token_id);

function minted(count: number) {
  const ids = Array.from({ length: count }, (_, i) => String(i * 7));
  return setup({ collections: [{ address: COLLECTION, tokenIds: ids }] });
}

describe('GET one NFT', () => {
  it('answers a minted NFT, 400 for a bad token id and 404 for one not minted', async () => {
    const { get } = setup({
      collections: [{ address: COLLECTION, tokenIds: ['1'], contractType: 'ERC1155' }],
    });
    const ok = await get(paths.nft('1'));
    expect(ok.status).toBe(200);
    expect((ok.body as { result: { contract_type: string } }).result.contract_type).toBe('ERC1155');
    expect(errorOf(await get(paths.nft('01')))).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'token_id' },
    });
    expect(errorOf(await get(paths.nft((MAX_UINT256 + 1n).toString()))).code).toBe(
      'VALIDATION_ERROR',
    );
    expect((await get(paths.nft('2'))).status).toBe(404);
    expect((await get(paths.nft('1', OTHER_COLLECTION))).status).toBe(404);
  });

  it('answers any token id of any collection when none are configured', async () => {
    const { get } = setup();
    const res = await get(paths.nft(MAX_UINT256.toString(), OTHER_COLLECTION));
    expect(res.status).toBe(200);
  });
});

describe('GET the NFT list', () => {
  it('pages forward and back in numeric token id order', async () => {
    const { get } = minted(12);
    const first = await get(paths.nfts('page_size=5'));
    expect(tokenIds(first)).toEqual(['0', '7', '14', '21', '28']);
    expect(pageOf(first).page.previous_cursor).toBeNull();
    const second = await get(
      paths.nfts(`page_size=5&page_cursor=${pageOf(first).page.next_cursor}`),
    );
    expect(tokenIds(second)).toEqual(['35', '42', '49', '56', '63']);
    const third = await get(
      paths.nfts(`page_size=5&page_cursor=${pageOf(second).page.next_cursor}`),
    );
    expect(tokenIds(third)).toEqual(['70', '77']);
    expect(pageOf(third).page.next_cursor).toBeNull();
    const back = await get(
      paths.nfts(`page_size=5&page_cursor=${pageOf(third).page.previous_cursor}`),
    );
    expect(tokenIds(back)).toEqual(tokenIds(second));
    const start = await get(
      paths.nfts(`page_size=5&page_cursor=${pageOf(back).page.previous_cursor}`),
    );
    expect(tokenIds(start)).toEqual(tokenIds(first));
    expect(pageOf(start).page.previous_cursor).toBeNull();
  });

  it('defaults to 100 a page and refuses sizes outside 1 to 200', async () => {
    const { get } = minted(201);
    expect(tokenIds(await get(paths.nfts()))).toHaveLength(100);
    expect(tokenIds(await get(paths.nfts('page_size=200')))).toHaveLength(200);
    for (const size of ['0', '201', '-1', '1.5', 'ten', '']) {
      const res = await get(paths.nfts(`page_size=${size}`));
      expect(errorOf(res).details).toEqual({ field: 'page_size' });
    }
  });

  it('refuses cursors it did not make', async () => {
    const { get } = minted(3);
    for (const cursor of [
      'garbage',
      encodeCursor({ direction: 'up', token: '1' }),
      encodeCursor({ direction: 'next', token: '-1' }),
    ]) {
      const res = await get(paths.nfts(`page_cursor=${cursor}`));
      expect(errorOf(res).details).toEqual({ field: 'page_cursor' });
    }
  });

  it('filters by up to 30 token ids', async () => {
    const { get } = minted(10);
    expect(tokenIds(await get(paths.nfts('token_id=14&token_id=0&token_id=3')))).toEqual([
      '0',
      '14',
    ]);
    const many = Array.from({ length: 31 }, (_, i) => `token_id=${i}`).join('&');
    expect(errorOf(await get(paths.nfts(many))).details).toEqual({ field: 'token_id' });
    expect(errorOf(await get(paths.nfts('token_id=x'))).details).toEqual({ field: 'token_id' });
  });

  it('finds what changed since from_updated_at', async () => {
    const { get, post, clock } = setup({
      syncDelayMs: 0,
      collections: [{ address: COLLECTION, tokenIds: ['1', '2', '3'] }],
    });
    clock.advance(60_000);
    await post(paths.refreshNfts(), { nft_metadata: [item('2', { name: 'new' })] });
    const since = new Date(START + 30_000).toISOString();
    expect(tokenIds(await get(paths.nfts(`from_updated_at=${since}`)))).toEqual(['2']);
    expect(errorOf(await get(paths.nfts('from_updated_at=yesterday'))).details).toEqual({
      field: 'from_updated_at',
    });
  });

  it('lists only NFTs it holds a record of when every token id counts as minted', async () => {
    const { get, post, service } = setup({ syncDelayMs: 0 });
    expect(tokenIds(await get(paths.nfts()))).toEqual([]);
    service.mint(COLLECTION, [{ tokenId: '10' }]);
    await post(paths.refreshNfts(), { nft_metadata: [item('2')] });
    expect(tokenIds(await get(paths.nfts()))).toEqual(['2', '10']);
  });
});

describe('routes', () => {
  it('answers every other route 404 RESOURCE_NOT_FOUND in the platform shape', async () => {
    const { call } = setup();
    const base = `/v1/chains/imtbl-zkevm-testnet/collections/${COLLECTION}`;
    const requests = [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/v1/metadata-refreshes' },
      { method: 'GET', path: `${base}/refresh-metadata` },
      { method: 'POST', path: `${base}/metadata` },
      { method: 'POST', path: base },
      { method: 'GET', path: `${base}/metadata/4e28df8d-f65c-4c11-ba04-6a9dd47b179b/nfts` },
      { method: 'PUT', path: `${base}/nfts/refresh-metadata` },
      { method: 'DELETE', path: `${base}/nfts/1` },
      { method: 'POST', path: `${base}/nfts` },
      { method: 'GET', path: `${base}/nfts/1/extra` },
    ];
    for (const request of requests) {
      const res = await call(request);
      expect(res.status).toBe(404);
      expect(errorOf(res).code).toBe('RESOURCE_NOT_FOUND');
    }
  });

  it('answers an undecodable path 400', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: '/v1/chains/%E0%A4%A/collections/x/nfts' });
    expect(errorOf(res).details).toEqual({ field: 'path' });
  });

  it('gives each error its own trace id', async () => {
    const { get } = setup();
    const a = (await get('/nope')).body as { trace_id: string };
    const b = (await get('/nope')).body as { trace_id: string };
    expect(a.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.trace_id).not.toBe(b.trace_id);
  });
});

describe('a failure inside the engine', () => {
  it('answers 500 INTERNAL_SERVER_ERROR in the platform shape instead of throwing', async () => {
    let broken = false;
    const clock = manualClock();
    const { call } = setup({
      clock: {
        ...clock,
        now: () => {
          if (broken) throw new Error('the clock broke');
          return clock.now();
        },
      },
      generateId: () => {
        throw new Error('no ids today');
      },
    });
    broken = true;
    const res = await call({ method: 'GET', path: paths.nft('1') });
    expect(res.status).toBe(500);
    expect(errorOf(res)).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', details: null });
    expect((res.body as { trace_id: string }).trace_id).toBe('trace-1');
  });
});

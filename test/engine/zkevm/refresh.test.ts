import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { MAX_ITEM_BYTES, wireByteLength } from '../../../src/wire/zkevm/limits.js';
import {
  CHAIN,
  COLLECTION,
  errorOf,
  item,
  KEY,
  OTHER_COLLECTION,
  paths,
  START,
  setup,
  stackedItem,
} from './harness.js';

const one = { nft_metadata: [item('1')] };

describe('refresh by token id: validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no body', '', 'body'],
    ['invalid JSON', '{"nft_metadata": [', 'body'],
    ['an array', '[]', 'body'],
    ['no list', {}, 'nft_metadata'],
    ['an empty list', { nft_metadata: [] }, 'nft_metadata'],
    [
      '251 items',
      { nft_metadata: Array.from({ length: 251 }, (_, i) => item(String(i))) },
      'nft_metadata',
    ],
    [
      'a missing key',
      { nft_metadata: [{ token_id: '1', name: null }] },
      'nft_metadata[0].description',
    ],
    ['a wrong type', { nft_metadata: [item('1', { image: 7 })] }, 'nft_metadata[0].image'],
    [
      'an unknown key',
      { nft_metadata: [item('1', { externalUrl: 'x' })] },
      'nft_metadata[0].externalUrl',
    ],
    ['an unknown body key', { ...one, collection: COLLECTION }, 'collection'],
    ['a bad token id', { nft_metadata: [item('1'), item('0x2')] }, 'nft_metadata[1].token_id'],
    [
      'a bad attribute',
      { nft_metadata: [item('1', { attributes: [{ trait_type: 'a' }] })] },
      'nft_metadata[0].attributes[0].value',
    ],
    [
      'a bad display type',
      {
        nft_metadata: [
          item('1', { attributes: [{ trait_type: 'a', value: 1, display_type: 'pct' }] }),
        ],
      },
      'nft_metadata[0].attributes[0].display_type',
    ],
    [
      'an item over 16 KiB',
      { nft_metadata: [item('1', { description: 'd'.repeat(MAX_ITEM_BYTES) })] },
      'nft_metadata[0]',
    ],
    [
      'a list over 228 KiB',
      {
        nft_metadata: Array.from({ length: 15 }, (_, i) =>
          item(String(i), { description: 'd'.repeat(MAX_ITEM_BYTES - 200) }),
        ),
      },
      'nft_metadata',
    ],
    [
      'a duplicate token id',
      { nft_metadata: [item('1'), item('2'), item('1')] },
      'nft_metadata[2].token_id',
    ],
  ];

  it.each(cases)(
    'answers %s with 400 VALIDATION_ERROR naming the field, at no cost',
    async (_, body, field) => {
      const { post, service } = setup();
      const res = await post(paths.refreshNfts(), body);
      expect(res.status).toBe(400);
      const error = errorOf(res);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details).toEqual({ field });
      expect(error.message.startsWith(`${field}: `) || field === 'body').toBe(true);
      expect(res.headers).toEqual({});
      expect(service.budget().remaining).toBe(100);
      expect(service.pendingPushes()).toBe(0);
    },
  );

  it('says a missing key is required and null means none', async () => {
    const { post } = setup();
    const res = await post(paths.refreshNfts(), { nft_metadata: [{ token_id: '1' }] });
    expect(errorOf(res).message).toBe('nft_metadata[0].name: name is required (null for none)');
  });

  it('accepts an item of exactly 16 KiB and 250 items', async () => {
    const { post } = setup({ limits: { refreshesPerHour: 10 } });
    const base = item('1', { description: '' });
    const full = item('1', { description: 'd'.repeat(MAX_ITEM_BYTES - wireByteLength(base)) });
    expect(wireByteLength(full)).toBe(MAX_ITEM_BYTES);
    expect((await post(paths.refreshNfts(), { nft_metadata: [full] })).status).toBe(202);
    const many = Array.from({ length: 250 }, (_, i) => item(String(i)));
    expect((await post(paths.refreshNfts(), { nft_metadata: many })).status).toBe(202);
  });

  it('counts the list by its JSON, so whitespace in the body does not count', async () => {
    const { post } = setup();
    const padded = JSON.stringify(one, null, 2).replace(/\n/g, `\n${' '.repeat(30_000)}`);
    expect(padded.length).toBeGreaterThan(250_000);
    expect((await post(paths.refreshNfts(), padded)).status).toBe(202);
  });

  it('refuses bodies over 1 MiB without parsing them', async () => {
    const { post } = setup();
    const res = await post(paths.refreshNfts(), ' '.repeat(1024 * 1024 + 1));
    expect(errorOf(res).message).toBe('body must be at most 1048576 bytes');
  });

  it('can let the last of duplicate token ids win', async () => {
    const { post, service } = setup({ duplicates: 'last-wins' });
    const body = { nft_metadata: [item('1', { name: 'first' }), item('1', { name: 'last' })] };
    expect((await post(paths.refreshNfts(), body)).status).toBe(202);
    await service.settled();
    expect(service.nft(COLLECTION, '1')?.name).toBe('last');
  });
});

describe('refresh: path checks', () => {
  it('answers another chain 404', async () => {
    const { post } = setup();
    const res = await post(paths.refreshNfts(COLLECTION, 'imtbl-zkevm-mainnet'), one);
    expect(res.status).toBe(404);
    expect(errorOf(res)).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
      message: 'Chain imtbl-zkevm-mainnet not found',
    });
  });

  it('serves the chain it is given', async () => {
    const { post, get } = setup({ chainName: 'imtbl-zkevm-mainnet' });
    expect((await post(paths.refreshNfts(COLLECTION, 'imtbl-zkevm-mainnet'), one)).status).toBe(
      202,
    );
    const nft = await get(paths.nft('1', COLLECTION, 'imtbl-zkevm-mainnet'));
    expect((nft.body as { result: { chain: unknown } }).result.chain).toEqual({
      id: 'eip155:13371',
      name: 'imtbl-zkevm-mainnet',
    });
    expect((await post(paths.refreshNfts(COLLECTION, CHAIN), one)).status).toBe(404);
    expect(() => setup({ chainName: 'local' })).toThrow('chainId is required');
  });

  it('answers a malformed address 400 and an unknown collection 404', async () => {
    const { post } = setup({ collections: [{ address: COLLECTION }] });
    const bad = await post(paths.refreshNfts('0x123'), one);
    expect(errorOf(bad)).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'contract_address' },
    });
    const unknown = await post(paths.refreshNfts(OTHER_COLLECTION), one);
    expect(unknown.status).toBe(404);
    expect(
      (await post(paths.refreshNfts(COLLECTION.toUpperCase().replace('0X', '0x')), one)).status,
    ).toBe(202);
  });

  it('answers a token that is not minted 404, listing the missing ids, at no cost', async () => {
    const { post, service } = setup({
      collections: [{ address: COLLECTION, tokenIds: ['1', '2'] }],
    });
    const res = await post(paths.refreshNfts(), {
      nft_metadata: [item('1'), item('3'), item('4')],
    });
    expect(res.status).toBe(404);
    expect(errorOf(res).details).toEqual({ token_ids: ['3', '4'] });
    expect(service.budget().remaining).toBe(100);
    service.mint(COLLECTION, [{ tokenId: '3' }, { tokenId: '4' }]);
    expect(
      (await post(paths.refreshNfts(), { nft_metadata: [item('1'), item('3'), item('4')] })).status,
    ).toBe(202);
  });
});

describe('rate limit', () => {
  it('sends the four headers and their copy on every 202', async () => {
    const { post, clock } = setup({ limits: { refreshesPerHour: 3 } });
    const first = await post(paths.refreshNfts(), one);
    expect(first.headers).toEqual({
      'imx-refreshes-limit': '3',
      'imx-remaining-refreshes': '2',
      'imx-refresh-limit-reset': '2024-04-16 11:06:07.401 +0000 UTC',
      // The default reading of retry-after: the time to the reset (see retry-after.test.ts).
      'retry-after': '3600',
    });
    expect(first.body).toEqual({
      imx_refreshes_limit: '3',
      imx_refresh_limit_reset: '2024-04-16 11:06:07.401 +0000 UTC',
      imx_remaining_refreshes: '2',
      retry_after: '3600.00-seconds',
    });
    clock.advance(60_000);
    // The window opened with the first request: the reset does not move.
    const second = await post(paths.refreshNfts(), one);
    expect(second.headers['imx-refresh-limit-reset']).toBe('2024-04-16 11:06:07.401 +0000 UTC');
    const last = await post(paths.refreshNfts(), one);
    expect(last.headers['imx-remaining-refreshes']).toBe('0');
    expect(last.headers['retry-after']).toBe('3540');
    expect((last.body as { retry_after: string }).retry_after).toBe('3540.00-seconds');
  });

  it('answers 429 TOO_MANY_REQUESTS_ERROR with the headers once the window is spent', async () => {
    const { post, clock, service } = setup({ limits: { refreshesPerHour: 1, windowMs: 10_000 } });
    expect((await post(paths.refreshNfts(), one)).status).toBe(202);
    clock.advance(400);
    const refused = await post(paths.refreshStacks(), {
      metadata: [stackedItem('00000000-0000-4000-8000-000000000001')],
    });
    // A stacked refresh of an unknown stack is a 404 first: refusals cost nothing and come before the budget.
    expect(refused.status).toBe(404);
    const limited = await post(paths.refreshNfts(), one);
    expect(limited.status).toBe(429);
    expect(errorOf(limited).code).toBe('TOO_MANY_REQUESTS_ERROR');
    expect(limited.headers).toEqual({
      'imx-refreshes-limit': '1',
      'imx-remaining-refreshes': '0',
      'imx-refresh-limit-reset': '2024-04-16 10:06:17.401 +0000 UTC',
      'retry-after': '10',
    });
    expect(service.pendingPushes()).toBe(1);
    clock.advance(9_600);
    const again = await post(paths.refreshNfts(), one);
    expect(again.status).toBe(202);
    expect(again.headers['imx-refresh-limit-reset']).toBe(formatAt(START + 10_000 + 10_000));
  });

  it('lets a test set what is left', async () => {
    const { post, service } = setup({ limits: { refreshesPerHour: 5 } });
    service.setRemainingRefreshes(0);
    expect((await post(paths.refreshNfts(), one)).status).toBe(429);
    service.setRemainingRefreshes(7);
    const res = await post(paths.refreshNfts(), one);
    expect(res.headers['imx-remaining-refreshes']).toBe('6');
    expect(() => service.setRemainingRefreshes(-1)).toThrow(InvalidOptionError);
    service.reset();
    expect(service.budget().remaining).toBe(5);
  });

  it('never spends more than the budget under concurrent requests', async () => {
    const { service } = setup({ limits: { refreshesPerHour: 7 } });
    const request = {
      method: 'POST',
      path: paths.refreshNfts(),
      headers: { 'x-immutable-api-key': KEY },
      body: JSON.stringify(one),
    };
    const answers = await Promise.all(Array.from({ length: 30 }, () => service.handle(request)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(7);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(23);
  });
});

function formatAt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +0000 UTC');
}

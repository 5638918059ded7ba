/**
 * The token-id checks of a refresh request, run before anything is sent: a refused list spends
 * no budget, and the error names what to fix.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/index.js';
import { COLLECTION } from '../support/fixtures.js';
import { useMock } from '../support/mock.js';

const ids = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('token ids of a refresh request', () => {
  const api = useMock();

  async function refused(tokenIds: unknown, call: 'requestRefresh' | 'requestRefreshes') {
    const client = api.client();
    const error = await client[call]({
      collectionAddress: COLLECTION,
      tokenIds: tokenIds as string[],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(api.mock.requests).toEqual([]);
    return (error as Error).message;
  }

  it('sends 1000 distinct ids in one request', async () => {
    const result = await api
      .client()
      .requestRefresh({ collectionAddress: COLLECTION, tokenIds: ids(1000) });
    expect(result.refreshId).toBe('refresh-1');
    expect(api.mock.requests.map((r) => (r.body as { token_ids: string[] }).token_ids)).toEqual([
      ids(1000),
    ]);
  });

  it('sends a single id', async () => {
    await api.client().requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['0'] });
    expect(api.mock.requests).toHaveLength(1);
  });

  it('refuses 1001 ids in one request, and splits them in requestRefreshes', async () => {
    expect(await refused(ids(1001), 'requestRefresh')).toBe(
      'tokenIds holds 1001 ids; one request takes at most 1000 (use requestRefreshes to split)',
    );
    const { refreshes } = await api
      .client()
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(1001) });
    expect(refreshes.map((r) => r.tokenIds.length)).toEqual([1000, 1]);
  });

  it.each<[string, unknown, string]>([
    ['a string', '1', 'tokenIds must be an array of strings'],
    ['undefined', undefined, 'tokenIds must be an array of strings'],
    ['an empty list', [], 'tokenIds must not be empty'],
  ])('refuses %s', async (_name, tokenIds, message) => {
    expect(await refused(tokenIds, 'requestRefresh')).toBe(message);
    expect(await refused(tokenIds, 'requestRefreshes')).toBe(message);
  });

  it('names each bad id by its index, as JSON', async () => {
    expect(await refused(['1', '', 2, '.', undefined, '..', null], 'requestRefresh')).toBe(
      'tokenIds must be non-empty, well-formed strings other than "." and ".."; invalid: ' +
        '[1] "", [2] 2, [3] ".", [4] undefined, [5] "..", [6] null',
    );
  });

  it('names the first 10 bad ids and counts the rest', async () => {
    const prefix =
      'tokenIds must be non-empty, well-formed strings other than "." and ".."; invalid: ';
    const ten = Array.from({ length: 10 }, (_, i) => `[${i}] ""`).join(', ');
    expect(await refused(Array(10).fill(''), 'requestRefresh')).toBe(`${prefix}${ten}`);
    expect(await refused(Array(12).fill(''), 'requestRefresh')).toBe(`${prefix}${ten} and 2 more`);
  });

  it('refuses duplicates, naming each once, the first 10 and a count of the rest', async () => {
    expect(await refused(['1', '2', '1', '3', '2', '1'], 'requestRefresh')).toBe(
      'tokenIds holds duplicates: "1", "2"',
    );
    const twice = (n: number) => [...ids(n, 'd'), ...ids(n, 'd')];
    const listed = ids(10, 'd')
      .map((id) => JSON.stringify(id))
      .join(', ');
    expect(await refused(twice(10), 'requestRefreshes')).toBe(
      `tokenIds holds duplicates: ${listed}`,
    );
    expect(await refused(twice(11), 'requestRefreshes')).toBe(
      `tokenIds holds duplicates: ${listed} and 1 more`,
    );
  });

  it('refuses bad ids before duplicates: the bad ones are named first', async () => {
    expect(await refused(['1', '1', '.'], 'requestRefresh')).toBe(
      'tokenIds must be non-empty, well-formed strings other than "." and ".."; invalid: [2] "."',
    );
  });
});

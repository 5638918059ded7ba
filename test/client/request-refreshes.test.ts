import { describe, expect, it } from 'vitest';
import { InternalServerError, InvalidRequestError, RateLimitError } from '../../src/index.js';
import { COLLECTION } from '../support/fixtures.js';
import { useMock } from '../support/mock.js';
import { recorded } from '../support/msw.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

describe('requestRefreshes', () => {
  const api = useMock();

  /** The token ids of each refresh request the mock received, in order. */
  const posted = () =>
    api.mock.requests
      .filter((r) => r.method === 'POST')
      .map((r) => (r.body as { token_ids: string[] }).token_ids);

  /** A client that runs `then` once, right after the response to its first refresh request. */
  const afterFirstPost = (then: () => void) => {
    let posts = 0;
    return api.client({
      onResponse: ({ method }) => {
        if (method === 'POST' && ++posts === 1) then();
      },
    });
  };

  it('splits any number of ids into requests of at most 1000, in order', async () => {
    const result = await api.client().requestRefreshes({
      collectionAddress: COLLECTION,
      tokenIds: ids(2500),
    });
    expect(posted().map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(posted().flat()).toEqual(ids(2500));
    expect(result.refreshes.map((r) => r.refreshId)).toEqual([
      'refresh-1',
      'refresh-2',
      'refresh-3',
    ]);
    expect(result.refreshes[2]?.tokenIds).toEqual(ids(2500).slice(2000));
    expect(result.rateLimit?.remaining).toBe(7);
  });

  it('stops before a request the known budget cannot cover, and says what was not sent', async () => {
    api.mock.setRemainingRefreshes(2);
    const error = (await api
      .client()
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(3500) })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(api.mock.requests).toHaveLength(2);
    expect(posted()).toHaveLength(2);
    expect(error.accepted.map((a) => a.refreshId)).toEqual(['refresh-1', 'refresh-2']);
    expect(error.notSent).toEqual(ids(3500).slice(2000));
    expect(error.uncertain).toEqual([]);
    expect(error.rateLimit?.remaining).toBe(0);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBe(Date.parse('2022-09-06T03:00:00Z') - api.clock.now());
  });

  it('turns a 429 from the server part-way into accepted + notSent', async () => {
    // Someone else spends the budget after the first request: the client still believes 9 are
    // left, sends the second request, and the server refuses it.
    const client = afterFirstPost(() => api.mock.setRemainingRefreshes(0));
    const error = (await client
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(2001) })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(posted()).toHaveLength(2);
    expect(error.headers['x-imx-remaining-refreshes']).toBe('0');
    expect(error.accepted).toHaveLength(1);
    expect(error.notSent).toEqual(ids(2001).slice(1000));
    expect(error.uncertain).toEqual([]);
    expect([...error.accepted.flatMap((a) => a.tokenIds), ...error.notSent]).toEqual(ids(2001));
  });

  it('marks the ids of a request that may have reached the server as uncertain', async () => {
    const client = afterFirstPost(() => api.mock.failNext({ status: 500, method: 'POST' }));
    const error = (await client
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(2500) })
      .catch((e: unknown) => e)) as InternalServerError;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(posted()).toHaveLength(2);
    expect(error.accepted).toHaveLength(1);
    expect(error.uncertain).toEqual(ids(2500).slice(1000, 2000));
    expect(error.notSent).toEqual(ids(2500).slice(2000));
  });

  it('validates every id before sending anything', async () => {
    const tokenIds = [...ids(1500), 't3'];
    await expect(
      api.client().requestRefreshes({ collectionAddress: COLLECTION, tokenIds }),
    ).rejects.toThrow(InvalidRequestError);
    expect(api.mock.requests).toHaveLength(0);
    expect(recorded).toHaveLength(0);
  });
});

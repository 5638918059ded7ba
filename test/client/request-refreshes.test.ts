import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AcceptedRefresh,
  AuthenticationError,
  InternalServerError,
  InvalidRequestError,
  MetadataRefreshError,
  RateLimitError,
  SignerError,
} from '../../src/index.js';
import { rejection } from '../support/errors.js';
import { COLLECTION, OWNER } from '../support/fixtures.js';
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
    expect(error.progress).toEqual({
      operation: 'requestRefreshes',
      accepted: [
        { refreshId: 'refresh-1', tokenIds: ids(1000) },
        { refreshId: 'refresh-2', tokenIds: ids(2000).slice(1000) },
      ],
      notSent: ids(3500).slice(2000),
      uncertain: [],
    });
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
    const progress = error.progress;
    expect(progress?.accepted).toHaveLength(1);
    expect(progress?.notSent).toEqual(ids(2001).slice(1000));
    expect(progress?.uncertain).toEqual([]);
    expect([
      ...(progress?.accepted ?? []).flatMap((a) => a.tokenIds),
      ...(progress?.notSent ?? []),
    ]).toEqual(ids(2001));
  });

  it('marks the ids of a request that may have reached the server as uncertain', async () => {
    const client = afterFirstPost(() => api.mock.failNext({ status: 500, method: 'POST' }));
    const error = (await client
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(2500) })
      .catch((e: unknown) => e)) as InternalServerError;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(posted()).toHaveLength(2);
    expect(error.progress?.accepted).toHaveLength(1);
    expect(error.progress?.uncertain).toEqual(ids(2500).slice(1000, 2000));
    expect(error.progress?.notSent).toEqual(ids(2500).slice(2000));
  });

  it('validates every id before sending anything', async () => {
    const tokenIds = [...ids(1500), 't3'];
    const error = await rejection(
      api.client().requestRefreshes({ collectionAddress: COLLECTION, tokenIds }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    // Nothing was sent: no progress to report.
    expect((error as InvalidRequestError).progress).toBeUndefined();
    expect(api.mock.requests).toHaveLength(0);
    expect(recorded).toHaveLength(0);
  });

  it('a refusal of the first request: nothing accepted, every id not sent', async () => {
    api.mock.failNext({ status: 401, method: 'POST' });
    const error = await rejection(
      api.client().requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(1500) }),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).progress).toEqual({
      operation: 'requestRefreshes',
      accepted: [],
      notSent: ids(1500),
      uncertain: [],
    });
  });

  it('a signer that fails: SignerError, nothing sent, every id not sent (none uncertain)', async () => {
    const refusing = {
      address: OWNER,
      signMessage: async () => {
        throw new Error('the hardware wallet refused');
      },
    };
    const error = await rejection(
      api
        .client({ signer: refusing })
        .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(1500) }),
    );
    expect(error).toBeInstanceOf(SignerError);
    expect(error).toBeInstanceOf(MetadataRefreshError);
    expect(posted()).toHaveLength(0);
    expect((error as SignerError).progress).toEqual({
      operation: 'requestRefreshes',
      accepted: [],
      notSent: ids(1500),
      uncertain: [],
    });
  });

  it('the progress is read-only, and narrows to refreshes with their refresh ids', async () => {
    api.mock.setRemainingRefreshes(1);
    const error = await rejection(
      api.client().requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(1500) }),
    );
    if (!(error instanceof MetadataRefreshError)) throw error;
    const progress = error.progress;
    if (progress?.operation !== 'requestRefreshes') throw new Error('expected progress');
    expectTypeOf(progress.accepted).toEqualTypeOf<readonly AcceptedRefresh[]>();
    expect(progress.accepted.map((a) => a.refreshId)).toEqual(['refresh-1']);
    expect(Object.isFrozen(progress)).toBe(true);
    expect(Object.isFrozen(progress.notSent)).toBe(true);
    expect(() => (progress.notSent as string[]).push('t9999')).toThrow(TypeError);
    expect(() => {
      (error as { progress: unknown }).progress = undefined;
    }).toThrow(TypeError);
    expect(error.progress?.notSent).toEqual(ids(1500).slice(1000));
  });

  it('the single-request call carries no progress on its errors', async () => {
    api.mock.setRemainingRefreshes(0);
    const error = await rejection(
      api.client().requestRefresh({ collectionAddress: COLLECTION, tokenIds: ids(3) }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).progress).toBeUndefined();
    expect(Object.keys(error)).not.toContain('progress');
  });
});

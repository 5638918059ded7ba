import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  InternalServerError,
  InvalidRequestError,
  MetadataRefreshClient,
  RateLimitError,
} from '../../src/index.js';
import {
  BASE_URL,
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  rateLimitHeaders,
} from '../support/fixtures.js';
import { recorded, server } from '../support/msw.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

/** Accepts POSTs while `budget` lasts, reporting what remains; then 429. Records the bodies. */
function serveBudget(budget: number, respond?: (call: number) => Response | undefined) {
  const bodies: string[][] = [];
  let remaining = budget;
  server.use(
    http.post(`${BASE_URL}/v1/metadata-refreshes`, async ({ request }) => {
      const body = (await request.json()) as { token_ids: string[] };
      const custom = respond?.(bodies.length + 1);
      if (custom) return custom;
      if (remaining === 0) {
        return HttpResponse.json(
          { code: 'refresh_limit_exceeded', message: 'Refresh limit exceeded' },
          { status: 429, headers: rateLimitHeaders('service', 0) },
        );
      }
      bodies.push(body.token_ids);
      remaining--;
      return HttpResponse.json(
        { refresh_id: `refresh-${bodies.length}` },
        { status: 202, headers: rateLimitHeaders('service', remaining) },
      );
    }),
  );
  return bodies;
}

const makeClient = () =>
  new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock: createTestClock() });

describe('requestRefreshes', () => {
  it('splits any number of ids into requests of at most 1000, in order', async () => {
    const bodies = serveBudget(10);
    const result = await makeClient().requestRefreshes({
      collectionAddress: COLLECTION,
      tokenIds: ids(2500),
    });
    expect(bodies.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(bodies.flat()).toEqual(ids(2500));
    expect(result.refreshes.map((r) => r.refreshId)).toEqual([
      'refresh-1',
      'refresh-2',
      'refresh-3',
    ]);
    expect(result.refreshes[2]?.tokenIds).toEqual(ids(2500).slice(2000));
    expect(result.rateLimit?.remaining).toBe(7);
  });

  it('stops before a request the known budget cannot cover, and says what was not sent', async () => {
    const bodies = serveBudget(2);
    const error = (await makeClient()
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(3500) })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(recorded).toHaveLength(2);
    expect(bodies).toHaveLength(2);
    expect(error.accepted.map((a) => a.refreshId)).toEqual(['refresh-1', 'refresh-2']);
    expect(error.notSent).toEqual(ids(3500).slice(2000));
    expect(error.uncertain).toEqual([]);
    expect(error.rateLimit?.remaining).toBe(0);
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it('turns a 429 from the server part-way into accepted + notSent', async () => {
    serveBudget(1);
    const client = makeClient();
    // Someone else spent the budget: this client has not seen a rate-limit header yet.
    const error = (await client
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(2001) })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.accepted).toHaveLength(1);
    expect(error.notSent).toEqual(ids(2001).slice(1000));
    expect([...error.accepted.flatMap((a) => a.tokenIds), ...error.notSent]).toEqual(ids(2001));
  });

  it('marks the ids of a request that may have reached the server as uncertain', async () => {
    serveBudget(10, (call) =>
      call === 2
        ? HttpResponse.json({ code: 'internal', message: 'boom' }, { status: 500 })
        : undefined,
    );
    const error = (await makeClient()
      .requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(2500) })
      .catch((e: unknown) => e)) as InternalServerError;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.accepted).toHaveLength(1);
    expect(error.uncertain).toEqual(ids(2500).slice(1000, 2000));
    expect(error.notSent).toEqual(ids(2500).slice(2000));
  });

  it('validates every id before sending anything', async () => {
    serveBudget(10);
    const tokenIds = [...ids(1500), 't3'];
    await expect(
      makeClient().requestRefreshes({ collectionAddress: COLLECTION, tokenIds }),
    ).rejects.toThrow(InvalidRequestError);
    expect(recorded).toHaveLength(0);
  });
});

/**
 * The engine's test controls, read back through `handle` as a client would see them: what a
 * seeded refresh's rows default to, what a seed is refused for, and what `reset()` forgets. The
 * msw mock hands out these same functions.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { imxAuthHeaders } from '../../../src/index.js';
import { createMetadataRefreshMock } from '../../../src/msw/index.js';
import { createRefreshService } from '../../../src/server/index.js';
import { RATE_LIMIT_HEADERS } from '../../../src/wire/rate-limit.js';
import { COLLECTION, PRIVATE_KEY } from '../../support/fixtures.js';

const NOW = Date.parse('2026-03-01T10:20:00.000Z');
const METADATA_API = 'https://studio.example/metadata';
const OTHER = `0x${'ab'.repeat(20)}`;

function setup() {
  const service = createRefreshService({
    fetchMetadata: async () => ({ status: 200, body: '{"name":"Hero"}' }),
    collections: [{ address: COLLECTION, metadataApiUrl: METADATA_API, tokenIds: ['1'] }],
    clock: { now: () => NOW },
    limits: { refreshesPerHour: 3 },
  });
  const signed = () => imxAuthHeaders(PRIVATE_KEY, { timestamp: Math.floor(NOW / 1000) });
  const get = async (path: string) =>
    service.handle({ method: 'GET', path, headers: await signed() });
  const post = async () =>
    service.handle({
      method: 'POST',
      path: '/v1/metadata-refreshes',
      headers: await signed(),
      body: JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'] }),
    });
  return { service, get, post };
}

describe('seedRefresh', () => {
  it('fills in a failed token as the platform reports a 404, at the refresh start', async () => {
    const { service, get } = setup();
    const startedAt = new Date(NOW - 60_000);
    const id = service.seedRefresh({
      collectionAddress: COLLECTION,
      startedAt,
      failed: [
        { tokenId: '7' },
        { tokenId: '8', errorCode: 'unable_to_retrieve_metadata' },
        { tokenId: '9', statusCode: 500, body: 'boom', createdAt: new Date(NOW) },
      ],
    });
    const page = await get(`/v1/metadata-refreshes/${id}/errors`);
    expect(page.status).toBe(200);
    expect((page.body as { result: unknown[] }).result).toEqual([
      {
        token_id: '7',
        collection_address: COLLECTION,
        client_token_metadata_url: `${METADATA_API}/7`,
        client_response_status_code: 404,
        client_response_body: '404 page not found\n',
        error_code: 'invalid_response_status_code',
        created_at: startedAt.toISOString(),
      },
      expect.objectContaining({
        token_id: '8',
        client_response_status_code: null,
        client_response_body: null,
        error_code: 'unable_to_retrieve_metadata',
      }),
      expect.objectContaining({
        token_id: '9',
        client_response_status_code: 500,
        client_response_body: 'boom',
        error_code: 'invalid_response_status_code',
        created_at: new Date(NOW).toISOString(),
      }),
    ]);
  });

  it('labels rows of a collection not configured with a placeholder Metadata API URL', async () => {
    const { service, get } = setup();
    const id = service.seedRefresh({ collectionAddress: OTHER, failed: 1 });
    const page = await get(`/v1/metadata-refreshes/${id}/errors`);
    expect((page.body as { result: { client_token_metadata_url: string }[] }).result).toEqual([
      expect.objectContaining({
        client_token_metadata_url: `https://metadata.invalid/${OTHER}/f1`,
      }),
    ]);
  });

  it.each([
    ['a collection address that is not one', { collectionAddress: '0x12' }, /collectionAddress/],
    ['no token', { collectionAddress: COLLECTION }, /at least one token/],
    [
      'a token id twice',
      { collectionAddress: COLLECTION, succeeded: ['1'], pending: ['1'] },
      /appears twice/,
    ],
  ])('refuses %s with a TypeError, storing nothing', async (_name, seed, message) => {
    const { service, get } = setup();
    expect(() => service.seedRefresh({ refreshId: 'r1', ...seed })).toThrow(message);
    expect(() => service.seedRefresh({ refreshId: 'r1', ...seed })).toThrow(TypeError);
    expect((await get('/v1/metadata-refreshes/r1')).status).toBe(404);
  });

  it('refuses an id already stored, keeping the first refresh', async () => {
    const { service } = setup();
    service.seedRefresh({ collectionAddress: COLLECTION, refreshId: 'r1', succeeded: 1 });
    expect(() =>
      service.seedRefresh({ collectionAddress: COLLECTION, refreshId: 'r1', failed: 2 }),
    ).toThrow(/refresh r1 exists/);
    expect(service.getRefresh('r1')?.summary).toEqual({ succeeded: 1, failed: 0, pending: 0 });
  });
});

describe('setRemainingRefreshes and rateLimitHeaders', () => {
  it('set and show the budget the next refresh requests meet; a negative count is refused', async () => {
    const { service, post } = setup();
    service.setRemainingRefreshes(1);
    expect(service.rateLimitHeaders()).toMatchObject({
      [RATE_LIMIT_HEADERS.limit]: '3',
      [RATE_LIMIT_HEADERS.remaining]: '1',
    });
    const accepted = await post();
    expect(accepted.status).toBe(202);
    expect(accepted.headers[RATE_LIMIT_HEADERS.remaining]).toBe('0');
    expect((await post()).status).toBe(429);
    expect(() => service.setRemainingRefreshes(-1)).toThrow(InvalidOptionError);
  });
});

describe('reset', () => {
  it('forgets seeded refreshes, fetched metadata and spending', async () => {
    const { service, post } = setup();
    expect((await post()).status).toBe(202);
    await service.settled();
    const seeded = service.seedRefresh({ collectionAddress: COLLECTION, succeeded: 1 });
    expect(service.getTokenMetadata(COLLECTION, '1')?.metadata).toEqual({ name: 'Hero' });
    expect(service.rateLimitHeaders()[RATE_LIMIT_HEADERS.remaining]).toBe('2');

    service.reset();

    expect(service.getRefresh(seeded)).toBeUndefined();
    expect(service.getTokenMetadata(COLLECTION, '1')).toBeUndefined();
    expect(service.rateLimitHeaders()[RATE_LIMIT_HEADERS.remaining]).toBe('3');
  });
});

describe('the msw mock', () => {
  it("hands out the engine's controls: the same checks, and state the service shows", () => {
    const mock = createMetadataRefreshMock({ limits: { refreshesPerHour: 3 } });
    mock.setRemainingRefreshes(2);
    expect(mock.service.rateLimitHeaders()[RATE_LIMIT_HEADERS.remaining]).toBe('2');
    expect(() => mock.setRemainingRefreshes(1.5)).toThrow(
      'remaining must be a non-negative integer',
    );
    const id = mock.seedRefresh({ collectionAddress: COLLECTION, pending: 1 });
    expect(mock.service.getRefresh(id)?.status).toBe('queued');
    expect(() =>
      mock.seedRefresh({ collectionAddress: COLLECTION, refreshId: id, failed: 1 }),
    ).toThrow(/exists/);
  });
});

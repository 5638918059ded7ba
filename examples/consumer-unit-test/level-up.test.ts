import { MetadataRefreshClient } from 'imx-metadata-refresh';
import { createMetadataRefreshMock } from 'imx-metadata-refresh/msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { refreshAfterLevelUp } from './level-up.js';

const HEROES = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
const OWNER_KEY = `0x${'11'.repeat(32)}`;

const mock = createMetadataRefreshMock({
  baseURL: 'https://imx.test',
  resolveMetadata: (_collection, tokenId) =>
    tokenId === '404' ? { status: 404, body: 'not found' } : { name: `Hero ${tokenId}`, level: 2 },
});
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen());
afterEach(() => mock.reset());
afterAll(() => server.close());

// The mock's clock makes waitForRefresh poll without really waiting.
const client = new MetadataRefreshClient({
  signer: OWNER_KEY,
  baseURL: 'https://imx.test',
  clock: mock.clock,
});

it('refreshes the hero after a level-up', async () => {
  const result = await refreshAfterLevelUp(client, HEROES, '42');
  expect(result.outcome).toBe('refreshed');
  expect(mock.service.getTokenMetadata(HEROES, '42')?.metadata).toEqual({
    name: 'Hero 42',
    level: 2,
  });
  expect(mock.requests[0]?.body).toEqual({ collection_address: HEROES, token_ids: ['42'] });
});

it('reports why a token failed', async () => {
  const result = await refreshAfterLevelUp(client, HEROES, '404');
  expect(result).toMatchObject({ outcome: 'failed', errorCode: 'invalid_response_status_code' });
});

it('defers when the hourly budget is spent', async () => {
  mock.setRemainingRefreshes(0);
  const result = await refreshAfterLevelUp(client, HEROES, '42');
  expect(result.outcome).toBe('deferred');
  expect(result.outcome === 'deferred' && result.retryAt).toBeInstanceOf(Date);
});

/** The mock applies the engine's cap on Metadata API bodies to what `resolveMetadata` returns. */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import { createMetadataRefreshMock, metadataAnswer } from '../../src/msw/index.js';
import { COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';

const BASE = 'https://capped.test';
const CAP = 2048;
const mock = createMetadataRefreshMock({
  baseURL: BASE,
  maxMetadataBytes: CAP,
  resolveMetadata: (_collection, tokenId) => {
    if (tokenId === 'fits') return { name: 'x'.repeat(CAP - 11) };
    if (tokenId === 'over') return { name: 'x'.repeat(CAP - 10) };
    if (tokenId === 'over-multibyte') return { name: 'é'.repeat(CAP / 2) };
    return metadataAnswer(503, 'e'.repeat(CAP * 4));
  },
});
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mock.reset());
afterAll(() => server.close());

describe('maxMetadataBytes', () => {
  it('fails a 200 over the cap with unable_to_decode_response, counting UTF-8 bytes', async () => {
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: BASE,
      clock: mock.clock,
    });
    const { refreshId } = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['fits', 'over', 'over-multibyte', 'error'],
    });
    await mock.service.settled();
    expect(mock.service.getTokenMetadata(COLLECTION, 'fits')?.metadata).toEqual({
      name: 'x'.repeat(CAP - 11),
    });
    const errors = new Map(
      (await client.getRefreshErrors(refreshId)).result.map((e) => [e.tokenId, e]),
    );
    expect(errors.size).toBe(3);
    for (const id of ['over', 'over-multibyte']) {
      expect(errors.get(id)).toMatchObject({
        errorCode: 'unable_to_decode_response',
        clientResponseStatusCode: 200,
      });
      expect(errors.get(id)?.clientResponseBody).toHaveLength(1000);
    }
    expect(errors.get('error')).toMatchObject({
      errorCode: 'invalid_response_status_code',
      clientResponseStatusCode: 503,
      clientResponseBody: 'e'.repeat(1000),
    });
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import {
  createReferenceServer,
  type MetadataApiServer,
  type ReferenceServer,
  startMetadataApiServer,
} from '../../src/server/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

let metadataApi: MetadataApiServer;
let reference: ReferenceServer;
let client: MetadataRefreshClient;

beforeAll(async () => {
  // Token 404 has no metadata: the default answer, a 404.
  metadataApi = await startMetadataApiServer({
    metadata: { '1': { name: 'Hero 1' }, '2': { name: 'Hero 2' } },
  });
  reference = createReferenceServer({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: metadataApi.url }],
  });
  const { url } = await reference.listen();
  client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
});

afterAll(async () => {
  await reference.close();
  await metadataApi.close();
});

it('refreshes tokens end to end through the real server and client', async () => {
  const { refreshId, rateLimit } = await client.requestRefresh({
    collectionAddress: COLLECTION,
    tokenIds: ['1', '2', '404'],
  });
  expect(rateLimit).toMatchObject({ limit: 10, remaining: 9 });
  await reference.service.settled();
  const refresh = await client.getRefresh(refreshId);
  expect(refresh).toMatchObject({
    status: 'completed',
    summary: { succeeded: 2, failed: 1, pending: 0 },
  });
  const errors = [];
  for await (const e of client.iterateRefreshErrors(refreshId)) errors.push(e);
  expect(errors).toEqual([
    expect.objectContaining({
      tokenId: '404',
      errorCode: 'invalid_response_status_code',
      clientResponseStatusCode: 404,
      clientResponseBody: '404 page not found\n',
    }),
  ]);
  expect(reference.service.getTokenMetadata(COLLECTION, '1')?.metadata).toEqual({ name: 'Hero 1' });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

let metadataApi: Server;
let reference: ReferenceServer;
let client: MetadataRefreshClient;

beforeAll(async () => {
  metadataApi = createServer((req, res) => {
    const id = req.url?.split('/').pop();
    if (id === '404') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ name: `Hero ${id}` }));
  });
  await new Promise<void>((r) => metadataApi.listen(0, '127.0.0.1', r));
  const port = (metadataApi.address() as AddressInfo).port;
  reference = createReferenceServer({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: `http://127.0.0.1:${port}/metadata` }],
  });
  const { url } = await reference.listen();
  client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
});

afterAll(async () => {
  await reference.close();
  await new Promise((r) => metadataApi.close(r));
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

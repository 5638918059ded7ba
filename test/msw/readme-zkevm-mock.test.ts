// The README's "Mocking in your unit tests" block (the zkEVM mock), as written there (imports mapped to the source).
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ZkEvmMetadataClient } from '../../src/index.js';
import { createZkEvmMock } from '../../src/msw/index.js';

const mock = createZkEvmMock();
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen());
afterEach(() => mock.reset());
afterAll(() => server.close());

const zk = new ZkEvmMetadataClient({
  apiKey: 'sk_test',
  environment: 'sandbox',
  clock: mock.clock,
});
const contractAddress = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';

it('pushes the level-up', async () => {
  await zk.refreshNftMetadata({
    contractAddress,
    nfts: [{ tokenId: '42', name: 'Hero, level 8' }],
  });
  await mock.service.settled(); // the push has taken effect (syncDelayMs on the mock's clock)
  expect((await zk.getNft({ contractAddress, tokenId: '42' })).name).toBe('Hero, level 8');
});

/**
 * A whole platform on this machine for the examples: a Metadata API you can edit, the reference
 * refresh service fetching from it, and a client signed by a throwaway project owner.
 */
import { Wallet } from 'ethers';
import { MetadataRefreshClient } from 'imx-metadata-refresh';
import {
  createReferenceServer,
  type MetadataApiServer,
  type ReferenceServer,
  startMetadataApiServer,
} from 'imx-metadata-refresh/server';

export interface LocalPlatform {
  client: MetadataRefreshClient;
  server: ReferenceServer;
  /** The reference service's base URL. */
  url: string;
  collectionAddress: string;
  /** Your Metadata API: `api.metadata` is what `GET /metadata/:tokenId` answers (404 when missing). */
  api: MetadataApiServer;
  close(): Promise<void>;
}

export async function startLocalPlatform(
  options: { tokenIds?: string[] } = {},
): Promise<LocalPlatform> {
  const api = await startMetadataApiServer();
  const owner = Wallet.createRandom();
  const collectionAddress = Wallet.createRandom().address;
  const server = createReferenceServer({
    owner: owner.address,
    collections: [
      { address: collectionAddress, metadataApiUrl: api.url, tokenIds: options.tokenIds },
    ],
  });
  const { url } = await server.listen();
  return {
    client: new MetadataRefreshClient({ signer: owner, baseURL: url }),
    server,
    url,
    collectionAddress,
    api,
    async close() {
      await server.close();
      await api.close();
    },
  };
}

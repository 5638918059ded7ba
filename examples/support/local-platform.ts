/**
 * A whole platform on this machine for the examples: a Metadata API you can edit, the reference
 * refresh service, and a client signed by a throwaway project owner.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import { MetadataRefreshClient } from 'imx-metadata-refresh';
import { createReferenceServer, type ReferenceServer } from 'imx-metadata-refresh/server';

export interface LocalPlatform {
  client: MetadataRefreshClient;
  server: ReferenceServer;
  /** The reference service's base URL. */
  url: string;
  collectionAddress: string;
  /** Your Metadata API's data: what `GET /metadata/:tokenId` answers (404 when missing). */
  metadata: Map<string, unknown>;
  close(): Promise<void>;
}

export async function startLocalPlatform(
  options: {
    tokenIds?: string[];
    fetchTimeoutMs?: number;
    metadataStatus?: (tokenId: string) => number;
  } = {},
): Promise<LocalPlatform> {
  const metadata = new Map<string, unknown>();
  const api = createServer((req, res) => {
    const tokenId = decodeURIComponent(req.url?.split('/').pop() ?? '');
    const status = options.metadataStatus?.(tokenId) ?? (metadata.has(tokenId) ? 200 : 404);
    if (status !== 200) {
      res.writeHead(status).end(status === 404 ? '404 page not found\n' : `error ${status}`);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(metadata.get(tokenId)));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const metadataApiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/metadata`;
  const owner = Wallet.createRandom();
  const collectionAddress = Wallet.createRandom().address;
  const server = createReferenceServer({
    owner: owner.address,
    collections: [{ address: collectionAddress, metadataApiUrl, tokenIds: options.tokenIds }],
    fetchTimeoutMs: options.fetchTimeoutMs,
  });
  const { url } = await server.listen();
  return {
    client: new MetadataRefreshClient({ signer: owner, baseURL: url }),
    server,
    url,
    collectionAddress,
    metadata,
    async close() {
      await server.close();
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    },
  };
}

/** `imx-metadata-refresh serve`: the reference server, optionally with the demo Metadata API. */
import { Wallet } from 'ethers/wallet';
import type { CollectionConfig } from '../engine/types.js';
import { createReferenceServer, type ReferenceServer } from '../server/reference-server.js';
import {
  DEMO_COLLECTION,
  DEMO_EXISTING_TOKEN_IDS,
  startDemoMetadataApi,
} from './demo-metadata-api.js';

/** Options of {@link startServe}, as parsed from the command line. */
export interface ServeOptions {
  port: number;
  host: string;
  owner?: string;
  collections: CollectionConfig[];
  demo: boolean;
  refreshesPerHour?: number;
  windowMs?: number;
  fetchTimeoutMs?: number;
  concurrency?: number;
}

/** Parses `address=metadataApiUrl`. */
export function parseCollectionArg(value: string): CollectionConfig {
  const at = value.indexOf('=');
  const address = at === -1 ? '' : value.slice(0, at);
  const metadataApiUrl = at === -1 ? '' : value.slice(at + 1);
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new Error(
      `--collection ${value}: expected address=metadataApiUrl with a 0x + 40 hex address`,
    );
  }
  try {
    const url = new URL(metadataApiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new Error(`--collection ${value}: the Metadata API URL must be an http(s) URL`);
  }
  return { address, metadataApiUrl };
}

/** Starts the server (and demo API); returns a stop function. Prints where everything is. */
export async function startServe(
  options: ServeOptions,
  log: (line: string) => void,
): Promise<{ url: string; server: ReferenceServer; stop(): Promise<void> }> {
  let owner = options.owner;
  const collections = [...options.collections];
  const demoApi = options.demo ? await startDemoMetadataApi() : undefined;
  if (demoApi) {
    collections.push({
      address: DEMO_COLLECTION,
      metadataApiUrl: demoApi.url,
      tokenIds: DEMO_EXISTING_TOKEN_IDS,
    });
    if (!owner) {
      const wallet = Wallet.createRandom();
      owner = wallet.address;
      log(`Throwaway owner ${wallet.address}`);
      log(
        `  export IMX_PRIVATE_KEY=${wallet.privateKey}   # sign requests as the owner (local only)`,
      );
    }
  }
  if (!owner) throw new Error('--owner is required (the project owner address), unless --demo');
  if (collections.length === 0)
    throw new Error('Give at least one --collection address=metadataApiUrl, or --demo');
  const server = createReferenceServer({
    owner,
    collections,
    limits: { refreshesPerHour: options.refreshesPerHour, windowMs: options.windowMs },
    fetchTimeoutMs: options.fetchTimeoutMs,
    concurrency: options.concurrency,
  });
  const { url } = await server.listen(options.port, options.host);
  log(`Reference metadata refresh service on ${url} (owner ${owner})`);
  for (const c of collections) log(`  collection ${c.address} -> ${c.metadataApiUrl}`);
  if (demoApi)
    log(
      `Demo Metadata API on ${demoApi.url}: tokens 1-3 succeed, 4 → 404, 5 slow, 6 malformed, 7 array, 9 unknown`,
    );
  return {
    url,
    server,
    async stop() {
      await server.close();
      await demoApi?.close();
    },
  };
}

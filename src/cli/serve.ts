/**
 * `imx-metadata-refresh serve`: the zkEVM reference service (under `/v1/chains/`) and, when
 * Immutable X collections are given (or `--demo`), the Immutable X one on the same port,
 * optionally with the demo Metadata API and demo NFTs.
 */
import { randomBytes } from 'node:crypto';
import { randomPrivateKey } from '../auth/secp256k1.js';
import { privateKeyToAddress } from '../auth/signer.js';
import type { CollectionConfig, RefreshService } from '../engine/imx/index.js';
import type {
  ZkEvmCollectionConfig,
  ZkEvmCollectionRefreshBudget,
  ZkEvmRetryAfterReading,
  ZkEvmService,
} from '../engine/zkevm/index.js';
import {
  createCombinedReferenceServer,
  createZkEvmReferenceServer,
} from '../server/zkevm-reference-server.js';
import { COLLECTION_ADDRESS_PATTERN } from '../wire/schemas.js';
import { SECRET_API_KEY_PREFIX } from '../wire/zkevm/limits.js';
import {
  DEMO_COLLECTION,
  DEMO_EXISTING_TOKEN_IDS,
  DEMO_ZKEVM_COLLECTION,
  DEMO_ZKEVM_NFTS,
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
  /** The zkEVM API key. Default: a generated throwaway `sk_imapik-test-…` key, printed. */
  apiKey?: string;
  /** The zkEVM chain served. Default: the engine's (the sandbox chain). */
  chainName?: string;
  /** Accepted zkEVM refresh requests per window. Default: the engine's. */
  zkevmRefreshesPerHour?: number;
  /** What `retry-after` on a zkEVM 202 means (an unknown of the platform). Default: the engine's (`window`). */
  zkevmRetryAfter?: ZkEvmRetryAfterReading;
  /** Whether a zkEVM collection refresh spends the push budget (an unknown). Default: the engine's (`shared`). */
  zkevmCollectionRefresh?: ZkEvmCollectionRefreshBudget;
}

/** A throwaway zkEVM API key for local use: the platform's secret-key prefix, `test-`, 32 hex digits. */
export function throwawayApiKey(): string {
  return `${SECRET_API_KEY_PREFIX}test-${randomBytes(16).toString('hex')}`;
}

/** Parses `address=metadataApiUrl`. */
export function parseCollectionArg(value: string): CollectionConfig {
  const at = value.indexOf('=');
  const address = at === -1 ? '' : value.slice(0, at);
  const metadataApiUrl = at === -1 ? '' : value.slice(at + 1);
  if (!COLLECTION_ADDRESS_PATTERN.test(address)) {
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

/** The services `serve` runs on one port: the zkEVM API always, the Immutable X API when asked. */
export interface ServedApis {
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  readonly zkevm: ZkEvmService;
  /** Absent when only the zkEVM API is served (no `--owner`, no `--collection`, no `--demo`). */
  readonly imx?: RefreshService;
}

/**
 * Which APIs to serve: the zkEVM API always; the Immutable X API with `--demo`, or with `--owner`
 * and at least one `--collection` (one without the other is an error naming the missing option).
 */
function servesImx(options: ServeOptions): boolean {
  if (options.demo) return true;
  if (options.collections.length > 0 && !options.owner) {
    throw new Error(
      '--owner <address> is required with --collection: the Immutable X project owner address (without --collection, serve runs the zkEVM API only)',
    );
  }
  if (options.owner && options.collections.length === 0) {
    throw new Error(
      '--owner serves Immutable X collections: give at least one --collection address=metadataApiUrl, or --demo (without --owner, serve runs the zkEVM API only)',
    );
  }
  return options.owner !== undefined;
}

/**
 * Starts the zkEVM API, and the Immutable X API beside it on the same port when
 * {@link servesImx} (and the demo Metadata API and demo NFTs with `demo`); returns a stop
 * function. Prints where everything is, and any throwaway credential it made: the zkEVM API (the
 * live one) first, then Immutable X. `show` is told of each throwaway credential before it is
 * printed (the bin's redactor lets exactly these through).
 */
export async function startServe(
  options: ServeOptions,
  log: (line: string) => void,
  show: (secret: string) => void = () => {},
): Promise<{
  url: string;
  apiKey: string;
  server: ServedApis;
  stop(): Promise<void>;
}> {
  let owner = options.owner;
  const collections = [...options.collections];
  const imxServed = servesImx(options);
  const demoApi = options.demo ? await startDemoMetadataApi() : undefined;
  const zkevmCredentials: string[] = [];
  const imxCredentials: string[] = [];
  if (demoApi) {
    collections.push({
      address: DEMO_COLLECTION,
      metadataApiUrl: demoApi.url,
      tokenIds: DEMO_EXISTING_TOKEN_IDS,
    });
    if (!owner) {
      const privateKey = randomPrivateKey();
      const wallet = { privateKey, address: privateKeyToAddress(privateKey) };
      owner = wallet.address;
      show(wallet.privateKey);
      imxCredentials.push(
        `Throwaway owner ${wallet.address}`,
        `  export IMX_PRIVATE_KEY=${wallet.privateKey}   # sign requests as the owner (local only)`,
      );
    }
  }
  const apiKey = options.apiKey ?? throwawayApiKey();
  if (options.apiKey === undefined) {
    show(apiKey);
    zkevmCredentials.push(
      `Throwaway API key ${apiKey}`,
      `  export IMMUTABLE_API_KEY=${apiKey}   # x-immutable-api-key of the zkEVM API (local only)`,
    );
  }
  // With --demo, the zkEVM API knows the demo collection only; without, every collection and token.
  const zkevmCollections: ZkEvmCollectionConfig[] | undefined = demoApi
    ? [{ address: DEMO_ZKEVM_COLLECTION, tokenIds: DEMO_ZKEVM_NFTS.map((n) => n.tokenId) }]
    : undefined;
  const zkevmOptions = {
    apiKey,
    chainName: options.chainName,
    collections: zkevmCollections,
    limits: {
      refreshesPerHour: options.zkevmRefreshesPerHour,
      windowMs: options.windowMs,
      retryAfter: options.zkevmRetryAfter,
      collectionRefresh: options.zkevmCollectionRefresh,
    },
  };
  let server: ServedApis;
  try {
    if (imxServed) {
      server = createCombinedReferenceServer({
        imx: {
          owner,
          collections,
          limits: { refreshesPerHour: options.refreshesPerHour, windowMs: options.windowMs },
          fetchTimeoutMs: options.fetchTimeoutMs,
          concurrency: options.concurrency,
        },
        zkevm: zkevmOptions,
      });
    } else {
      const zkevmOnly = createZkEvmReferenceServer(zkevmOptions);
      server = {
        listen: (port, host) => zkevmOnly.listen(port, host),
        close: () => zkevmOnly.close(),
        zkevm: zkevmOnly.service,
      };
    }
    if (demoApi) server.zkevm.mint(DEMO_ZKEVM_COLLECTION, DEMO_ZKEVM_NFTS);
  } catch (error) {
    await demoApi?.close();
    throw error;
  }
  let url: string;
  try {
    ({ url } = await server.listen(options.port, options.host));
  } catch (error) {
    await server.close();
    await demoApi?.close();
    throw error;
  }
  // Only now, listening: a busy port fails above with no throwaway key printed for nothing.
  // The zkEVM API first: it is the live one.
  for (const line of zkevmCredentials) log(line);
  // The chain as the engine's NFTs report it: the engine owns the default.
  const chainName = server.zkevm.nft(DEMO_ZKEVM_COLLECTION, '1')?.chain.name;
  log(`Reference zkEVM API on ${url}/v1/chains/${chainName} (key in x-immutable-api-key)`);
  if (demoApi)
    log(
      `  demo collection ${DEMO_ZKEVM_COLLECTION}: NFTs 1-3 (heroes), 100-102 (one stack of potions)`,
    );
  else log('  every collection exists and every token id is minted');
  if (!imxServed) {
    log(
      'Immutable X API not served: zkEVM only (give --owner and --collection, or --demo, to serve it too)',
    );
  } else {
    for (const line of imxCredentials) log(line);
    log(`Reference Immutable X API on ${url} (owner ${owner})`);
    for (const c of collections) log(`  collection ${c.address} -> ${c.metadataApiUrl}`);
    if (demoApi)
      log(
        `Demo Metadata API on ${demoApi.url}: tokens 1-3 succeed, 4 → 404, 5 slow, 6 malformed, 7 array, 9 unknown`,
      );
  }
  return {
    url,
    apiKey,
    server,
    async stop() {
      await server.close();
      await demoApi?.close();
    },
  };
}

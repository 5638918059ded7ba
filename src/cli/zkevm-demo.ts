/**
 * `npm run demo:zkevm`: the Immutable zkEVM flow in one process. Starts the zkEVM reference
 * server (with the demo heroes minted) and the demo Metadata API, reads each hero's metadata from
 * the Metadata API and pushes it as `zkevm push --from-metadata-api` does, waits until the
 * platform shows it, reads it back, and prints the budget left.
 */
import type { Writable } from 'node:stream';
import { createZkEvmReferenceServer } from '../server/zkevm-reference-server.js';
import type { Nft } from '../wire/zkevm/mappers.js';
import type { Io } from './commands.js';
import {
  DEMO_ZKEVM_COLLECTION,
  DEMO_ZKEVM_NFTS,
  startDemoMetadataApi,
} from './demo-metadata-api.js';
import { budgetLine, localTimeOf, table } from './format.js';
import { throwawayApiKey } from './serve.js';
import {
  API_KEY_VARIABLE,
  type PushReport,
  printPushReport,
  pushNfts,
  zkEvmConnect,
} from './zkevm-commands.js';

/** The demo pushes heroes 1-3 and token 4, whose Metadata API answers 404 (so it is not pushed). */
export const ZKEVM_DEMO_TOKEN_IDS = ['1', '2', '3', '4'];

const CHAIN_NAME = 'imtbl-zkevm-testnet';

/** Where the zkEVM demo writes, and how fast the platform applies a push. */
export interface ZkEvmDemoOptions {
  out?: Writable & { isTTY?: boolean };
  /** How long after a 202 the reference server shows the push. Default 500 ms. */
  syncDelayMs?: number;
  /** Poll interval while waiting for the sync. Default 100 ms. */
  pollIntervalMs?: number;
}

/** What the demo did. */
export interface ZkEvmDemoResult {
  report: PushReport;
  /** The pushed NFTs as read back after the sync. */
  nfts: Nft[];
}

const attributes = (nft: Nft) =>
  nft.attributes.map((a) => `${a.traitType}=${String(a.value)}`).join(', ');

/** Runs the demo; resolves with the push report and the NFTs read back. */
export async function runZkEvmDemo(options: ZkEvmDemoOptions = {}): Promise<ZkEvmDemoResult> {
  const out = options.out ?? process.stdout;
  const say = (line = '') => out.write(`${line}\n`);
  const metadataApi = await startDemoMetadataApi();
  const apiKey = throwawayApiKey();
  const server = createZkEvmReferenceServer({
    apiKey,
    chainName: CHAIN_NAME,
    collections: [
      { address: DEMO_ZKEVM_COLLECTION, tokenIds: DEMO_ZKEVM_NFTS.map((n) => n.tokenId) },
    ],
    syncDelayMs: options.syncDelayMs,
  });
  server.service.mint(DEMO_ZKEVM_COLLECTION, DEMO_ZKEVM_NFTS);
  try {
    const { url } = await server.listen();
    say(`Reference zkEVM API  ${url}/v1/chains/${CHAIN_NAME}`);
    say(`Demo Metadata API    ${metadataApi.url}`);
    say('API key              a throwaway sk_imapik-test-… key (local only)');
    say(`Collection           ${DEMO_ZKEVM_COLLECTION}`);
    say();

    const io: Io = { out, err: out, env: { [API_KEY_VARIABLE]: apiKey } };
    const connection = zkEvmConnect({ baseUrl: url, chainName: CHAIN_NAME }, io.env);
    const { client } = connection;
    const contractAddress = DEMO_ZKEVM_COLLECTION;
    const heroes = ZKEVM_DEMO_TOKEN_IDS.filter((id) => server.service.nft(contractAddress, id));
    say('Before');
    for (const tokenId of heroes) {
      const nft = await client.getNft({ contractAddress, tokenId });
      say(`  token ${tokenId}  ${nft.name}  ${attributes(nft)}`);
    }
    say();

    say(`Reading tokens ${ZKEVM_DEMO_TOKEN_IDS.join(', ')} from the Metadata API and pushing them`);
    const since = new Date();
    const report = await pushNfts(
      connection,
      contractAddress,
      ZKEVM_DEMO_TOKEN_IDS,
      {
        fromMetadataApi: metadataApi.url,
      },
      io,
    );
    printPushReport(report, io);
    say();

    say('Waiting until the platform shows the pushes (metadata_synced_at)…');
    const nfts = await client.waitForNftMetadata({
      contractAddress,
      tokenIds: report.pushed,
      since,
      pollIntervalMs: options.pollIntervalMs ?? 100,
      maxPollIntervalMs: 1_000,
      timeoutMs: 30_000,
    });
    say();
    say('After');
    say(
      table(
        ['TOKEN', 'NAME', 'ATTRIBUTES', 'METADATA SYNCED AT'],
        nfts.map((n) => [n.tokenId, n.name, attributes(n), localTimeOf(n.metadataSyncedAt)]),
      ),
    );
    say();
    say(`Budget   ${budgetLine(client.rateLimit)}`);
    return { report, nfts };
  } finally {
    await server.close();
    await metadataApi.close();
  }
}

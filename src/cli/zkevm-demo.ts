/**
 * `npm run demo`: the Immutable zkEVM flow in one process, as a game server runs it. Starts the
 * zkEVM reference server (with the demo heroes minted a level below what the game serves) and the
 * demo Metadata API, enqueues three level-ups in a `RefreshScheduler` with `zkEvmTarget` and
 * `metadataApiSource`, and prints what the scheduler does: the push, each hero confirmed through
 * `metadataSyncedAt`, and the budget it learned from the answer's headers.
 */
import type { Writable } from 'node:stream';
import { ZkEvmMetadataClient } from '../client/zkevm-client.js';
import { RefreshScheduler } from '../scheduler/scheduler.js';
import { metadataApiSource } from '../scheduler/sources/metadata-api-source.js';
import { zkEvmTarget } from '../scheduler/targets/zkevm-target.js';
import type { SchedulerEvent, SchedulerStats } from '../scheduler/types.js';
import { createZkEvmReferenceServer } from '../server/zkevm-reference-server.js';
import type { Nft } from '../wire/zkevm/mappers.js';
import {
  DEMO_ZKEVM_COLLECTION,
  DEMO_ZKEVM_NFTS,
  startDemoMetadataApi,
} from './demo-metadata-api.js';
import { localTime, localTimeOf, table } from './format.js';
import { throwawayApiKey } from './serve.js';

/** The heroes that level up in the demo. */
export const ZKEVM_DEMO_TOKEN_IDS = ['1', '2', '3'];

const CHAIN_NAME = 'imtbl-zkevm-testnet';

/** Where the zkEVM demo writes, and how fast the platform applies a push. */
export interface ZkEvmDemoOptions {
  out?: Writable & { isTTY?: boolean };
  /** How long after a 202 the reference server shows the push. Default 500 ms. */
  syncDelayMs?: number;
  /** The scheduler's poll interval while it confirms the push. Default 100 ms. */
  pollIntervalMs?: number;
}

/** What the demo did. */
export interface ZkEvmDemoResult {
  /** Every event the scheduler raised, in order. */
  events: SchedulerEvent[];
  /** The heroes as read back after the scheduler confirmed them. */
  nfts: Nft[];
  /** The scheduler's budget after the push: learned from the answer. */
  budget: SchedulerStats['budget'];
}

const attributes = (nft: Nft) =>
  nft.attributes.map((a) => `${a.traitType}=${String(a.value)}`).join(', ');

const list = (ids: string[]) =>
  ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;

function budgetOf(budget: SchedulerStats['budget']): string {
  if (budget.limit === undefined) return 'not known yet: the first push goes alone';
  const ends = budget.windowEndsAt ? `; the window ends ${localTime(budget.windowEndsAt)}` : '';
  return `${budget.remaining} of ${budget.limit} pushes left${ends}`;
}

/** Runs the demo; resolves with the scheduler's events, the heroes read back and the budget. */
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
  let scheduler: RefreshScheduler | undefined;
  try {
    const { url } = await server.listen();
    say(`Reference zkEVM API  ${url}/v1/chains/${CHAIN_NAME}`);
    say(`Demo Metadata API    ${metadataApi.url}`);
    say('API key              a throwaway sk_imapik-test-… key (local only)');
    say(`Collection           ${DEMO_ZKEVM_COLLECTION}`);
    say();

    const client = new ZkEvmMetadataClient({ apiKey, baseURL: url, chainName: CHAIN_NAME });
    const contractAddress = DEMO_ZKEVM_COLLECTION;
    const heroes = ZKEVM_DEMO_TOKEN_IDS;
    say('On the marketplace');
    for (const tokenId of heroes) {
      const nft = await client.getNft({ contractAddress, tokenId });
      say(`  token ${tokenId}  ${nft.name}  ${attributes(nft)}`);
    }
    say();

    const started = Date.now();
    const at = () => `+${((Date.now() - started) / 1000).toFixed(1)} s`;
    const events: SchedulerEvent[] = [];
    const settled = new Set<string>();
    let allSettled: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const settle = (tokenId: string) => {
      settled.add(tokenId);
      if (heroes.every((id) => settled.has(id))) allSettled();
    };
    scheduler = new RefreshScheduler({
      target: zkEvmTarget({
        client,
        metadata: metadataApiSource({ baseUrl: metadataApi.url }),
        verify: { timeoutMs: 30_000 },
      }),
      pollIntervalMs: options.pollIntervalMs ?? 100,
      maxPollIntervalMs: 1_000,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'batchSent')
          say(`  ${at()}  pushed ${list(event.tokenIds)} in one request: accepted`);
        else if (event.type === 'tokenSucceeded') {
          say(`  ${at()}  token ${event.tokenId} confirmed: metadata_synced_at shows the push`);
          settle(event.tokenId);
        } else if (event.type === 'tokenFailed') {
          say(`  ${at()}  token ${event.tokenId} failed: ${event.errorCode}`);
          settle(event.tokenId);
        } else if (event.type === 'error') {
          const error = event.error;
          say(`  ${at()}  error: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    });
    say(`Budget before        ${budgetOf((await scheduler.stats()).budget)}`);
    say(
      `Heroes ${list(heroes)} level up: the game's Metadata API serves their new level, and the game enqueues them`,
    );
    scheduler.start();
    await scheduler.enqueue(contractAddress, heroes);
    await done;
    const { budget } = await scheduler.stats();
    await scheduler.stop();
    scheduler = undefined;
    say();

    const nfts = await Promise.all(
      heroes.map((tokenId) => client.getNft({ contractAddress, tokenId })),
    );
    say('After');
    say(
      table(
        ['TOKEN', 'NAME', 'ATTRIBUTES', 'METADATA SYNCED AT'],
        nfts.map((n) => [n.tokenId, n.name, attributes(n), localTimeOf(n.metadataSyncedAt)]),
      ),
    );
    say();
    say(`Budget learned       ${budgetOf(budget)} (from the push's answer headers)`);
    return { events, nfts, budget };
  } finally {
    await scheduler?.stop();
    await server.close();
    await metadataApi.close();
  }
}

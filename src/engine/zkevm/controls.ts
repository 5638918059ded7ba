/** The test controls: set-up and read-back beside the routes, never reachable through `handle`. */

import type { Clock } from '../../clock.js';
import { optionChecks } from '../../option-checks.js';
import { METADATA_FIELDS } from '../../wire/zkevm/canonical.js';
import { CONTRACT_ADDRESS_PATTERN, uint256Problem } from '../../wire/zkevm/limits.js';
import {
  collectionFromWire,
  metadataToWire,
  type NftMetadata,
  nftFromWire,
  stackedMetadataFromWire,
} from '../../wire/zkevm/mappers.js';
import { METADATA_ID_PATTERN } from '../../wire/zkevm/schemas.js';
import type { RollingBudget } from './budget.js';
import { emptyFields } from './metadata.js';
import type { ChainWire } from './nft-wire.js';
import { collectionToWire, nftToWire, stackToWire } from './nft-wire.js';
import type { ZkEvmState } from './state.js';
import type { MintedNft, ZkEvmControls } from './types.js';

function requireAddress(address: string, what: string): void {
  if (typeof address !== 'string' || !CONTRACT_ADDRESS_PATTERN.test(address)) {
    throw new TypeError(`${what}: address must be 0x followed by 40 hex characters`);
  }
}

/** The metadata of a mint, or undefined when it gives none (missing fields become null). */
function mintedFields(nft: MintedNft) {
  if (!METADATA_FIELDS.some((key) => nft[key] !== undefined)) return undefined;
  const metadata = Object.fromEntries(
    METADATA_FIELDS.map((key) => [key, nft[key] ?? null]),
  ) as unknown as NftMetadata;
  return { ...emptyFields(), ...metadataToWire(metadata) };
}

/** Builds the controls over the service's state. */
export function createControls(deps: {
  state: ZkEvmState;
  budget: RollingBudget;
  clock: Clock;
  chain: ChainWire;
}): ZkEvmControls {
  const { state, budget, clock, chain } = deps;
  return {
    setRemainingRefreshes(remaining) {
      optionChecks('setRemainingRefreshes').nonNegativeInteger('remaining', remaining);
      budget.setRemaining(remaining, clock.now());
    },
    budget: () => budget.peek(clock.now()),
    mint(address, nfts) {
      requireAddress(address, 'mint');
      const collection = state.collection(address);
      if (!collection) throw new TypeError(`mint: collection ${address} is not configured`);
      for (const nft of nfts) {
        const problem = uint256Problem(nft?.tokenId);
        if (problem) throw new TypeError(`mint: tokenId ${problem}`);
      }
      const now = clock.now();
      state.applyDue(now);
      state.mint(
        collection,
        nfts.map((nft) => ({ tokenId: nft.tokenId, fields: mintedFields(nft) })),
        now,
      );
    },
    nft(address, tokenId) {
      requireAddress(address, 'nft');
      if (uint256Problem(tokenId)) return undefined;
      const now = clock.now();
      state.applyDue(now);
      const collection = state.collection(address);
      const nft = collection && state.nft(collection, tokenId, now);
      return collection && nft ? nftFromWire(nftToWire(nft, collection, chain)) : undefined;
    },
    collection(address) {
      requireAddress(address, 'collection');
      state.applyDue(clock.now());
      const collection = state.collection(address);
      return collection && collectionFromWire(collectionToWire(collection, chain));
    },
    metadata(address, metadataId) {
      requireAddress(address, 'metadata');
      if (typeof metadataId !== 'string' || !METADATA_ID_PATTERN.test(metadataId)) return undefined;
      state.applyDue(clock.now());
      const collection = state.collection(address);
      const stack = collection && state.stack(collection, metadataId);
      return collection && stack
        ? stackedMetadataFromWire(stackToWire(stack, collection, chain))
        : undefined;
    },
    pendingPushes: () => {
      state.applyDue(clock.now());
      return state.pendingCount;
    },
    reset() {
      budget.reset();
      state.reset(clock.now());
    },
  };
}

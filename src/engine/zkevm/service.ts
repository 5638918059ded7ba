/**
 * The Immutable zkEVM reference service: the metadata refresh API and the NFT reads behind one
 * `handle(request) -> response`, over the state in `state.ts`, the routes in `router.ts` and the
 * test controls in `controls.ts`. Knows no HTTP library; adapters are thin.
 *
 * Where the platform documents nothing, this engine decides, and says so:
 * - Auth: no or blank `x-immutable-api-key` is 401 `UNAUTHORISED_REQUEST`; a key present but not
 *   accepted is 403 `AUTHENTICATION_ERROR`. Only the refresh POSTs need a key, checked before
 *   the chain, the path and the body; the NFT reads are public.
 * - Order of checks on a refresh: key, chain (other names 404), contract address (400),
 *   collection (404), body (400 naming the field), duplicates (400 by default), existence of
 *   every token / metadata id (404 listing them), then the budget (429). Only a 202 spends.
 * - Budget: `DEFAULT_REFRESHES_PER_HOUR` per `DEFAULT_WINDOW_MS` unless configured
 *   (the platform publishes no numbers; these are assumptions). A window opens with the first
 *   accepted request. What `retry-after` on a 202 means is an option (`limits.retryAfter`,
 *   default `DEFAULT_RETRY_AFTER`): the time to the reset, or the spacing between pushes.
 * - Sync: a push takes effect {@link DEFAULT_SYNC_DELAY_MS} ms after its 202 by the clock;
 *   `metadata_synced_at` and `updated_at` become that time. Null clears a field by default.
 * - Stacks: NFTs with identical metadata share a metadata id. A refresh by token id moves the
 *   NFT to the stack of its new metadata; a refresh by metadata id rewrites the whole stack.
 * - Without `collections`, every collection exists and every token id is minted; a push to a
 *   token never seen creates it. With `collections`, a push to a token not minted is a 404.
 * - Stacked metadata (`GetMetadata`, `ListMetadata`): every metadata id an NFT ever had in the
 *   collection, oldest first; `updated_at` is its creation until a refresh by metadata id. The
 *   NFTs of a stack are those whose `metadata_id` is its id (`ListNFTs` has no such filter).
 * - Collections (`GetCollection`, `RefreshCollectionMetadata`): the refresh needs the key, takes
 *   the whole `collection_metadata` (seven nullable keys; null follows `nullFields`) within
 *   `limits.collectionMetadataMaxBytes` (default 16 KiB, an assumption), answers 200 echoing it,
 *   and takes effect after `syncDelayMs` like a push. Whether it spends the push budget is
 *   `limits.collectionRefresh` (default `shared`; `separate` spends nothing). The file requires
 *   `metadata_uri` on a collection without defining it: it repeats `contract_uri`.
 */

import { systemClock } from '../../clock.js';
import { optionChecks } from '../../option-checks.js';
import {
  CONTRACT_ADDRESS_PATTERN,
  uint256Problem,
  ZKEVM_ENVIRONMENTS,
} from '../../wire/zkevm/limits.js';
import { logServiceError } from '../log-error.js';
import { type ParsedRequest, parseRequest } from '../request.js';
import type { ServiceResponse } from '../types.js';
import { apiKeyCheck } from './auth.js';
import { RollingBudget } from './budget.js';
import type { RouteContext } from './context.js';
import { createControls } from './controls.js';
import { budgetRulesOf, collectionRulesOf } from './limits.js';
import { errorResponse, fail, type RouteResult } from './responses.js';
import { route } from './router.js';
import { type CollectionSeed, ZkEvmState } from './state.js';
import type { ZkEvmService, ZkEvmServiceOptions } from './types.js';

const VERIFICATION_STATUSES: readonly string[] = ['verified', 'unverified', 'spam', 'inactive'];

/** How long a push takes to show when `syncDelayMs` is not given. */
export const DEFAULT_SYNC_DELAY_MS = 500;

function chainIdOf(name: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const known = Object.values(ZKEVM_ENVIRONMENTS).find((env) => env.chainName === name);
  if (!known) {
    throw optionChecks('createZkEvmService').invalid(
      'chainId',
      `is required for the unknown chain ${name}`,
    );
  }
  return known.chainId;
}

function collectionSeeds(options: ZkEvmServiceOptions): CollectionSeed[] | undefined {
  return options.collections?.map((c) => {
    if (!CONTRACT_ADDRESS_PATTERN.test(c?.address ?? '')) {
      throw new TypeError(
        `collection address ${c?.address} must be 0x followed by 40 hex characters`,
      );
    }
    const status = c.verificationStatus;
    if (status !== undefined && !VERIFICATION_STATUSES.includes(status)) {
      throw new TypeError(
        `collection ${c.address}: verificationStatus must be one of ${VERIFICATION_STATUSES.join(', ')}`,
      );
    }
    for (const id of c.tokenIds ?? []) {
      const problem = uint256Problem(id);
      if (problem) throw new TypeError(`collection ${c.address}: token id ${id} ${problem}`);
    }
    return {
      address: c.address,
      contractType: c.contractType ?? 'ERC721',
      tokenIds: c.tokenIds,
      metadata: c.metadata && {
        name: c.metadata.name ?? null,
        symbol: c.metadata.symbol ?? null,
        description: c.metadata.description ?? null,
        image: c.metadata.image ?? null,
        external_link: c.metadata.externalLink ?? null,
        contract_uri: c.metadata.contractUri ?? null,
        base_uri: c.metadata.baseUri ?? null,
      },
      verificationStatus: c.verificationStatus,
    };
  });
}

/**
 * Creates the zkEVM reference service. Every default is on {@link ZkEvmServiceOptions}; the
 * decisions on what the platform leaves undocumented are listed at the top of this module.
 *
 * @example
 * ```ts
 * const service = createZkEvmService({ apiKey: (key) => key.length > 0, syncDelayMs: 0 });
 * const response = await service.handle({ method: 'GET', path: '/v1/chains/imtbl-zkevm-testnet/collections/0x…/nfts/1' });
 * ```
 * @throws {InvalidOptionError} a bad option, named in the message (a limit that is not a positive
 * integer, a `limits.retryAfter` other than `window` or `pacing`, a `limits.pacingMs` without
 * `pacing`, a negative `syncDelayMs`, an `apiKey` that is neither a non-empty string nor a function,
 * an unknown chain without `chainId`, a collection's malformed address or token id).
 */
export function createZkEvmService(options: ZkEvmServiceOptions): ZkEvmService {
  const clock = options.clock ?? systemClock;
  const generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
  const chainName = options.chainName ?? ZKEVM_ENVIRONMENTS.sandbox.chainName;
  const chain = { id: chainIdOf(chainName, options.chainId), name: chainName };
  const syncDelayMs = optionChecks('createZkEvmService').nonNegativeInteger(
    'syncDelayMs',
    options.syncDelayMs ?? DEFAULT_SYNC_DELAY_MS,
  );
  const budget = new RollingBudget(budgetRulesOf(options.limits));
  const collectionRules = collectionRulesOf(options.limits);
  const state = new ZkEvmState({
    collections: collectionSeeds(options),
    nullFields: options.nullFields ?? 'clear',
    generateId,
  });
  state.reset(clock.now());
  const ctx: RouteContext = {
    state,
    budget,
    clock,
    chain,
    syncDelayMs,
    collectionRules,
    duplicates: options.duplicates ?? 'reject',
    checkKey: apiKeyCheck(options.apiKey),
  };
  let traces = 0;
  // A trace id must not be the thing that fails: an id generator that throws gets a counter.
  const traceId = () => {
    try {
      return generateId().replaceAll('-', '');
    } catch {
      traces += 1;
      return `trace-${traces}`;
    }
  };
  const onError = options.onError ?? logServiceError;
  const answer = (result: RouteResult): ServiceResponse =>
    'error' in result ? errorResponse(result.error, traceId()) : result;

  return {
    async handle(request) {
      let req: ParsedRequest | undefined;
      try {
        state.applyDue(clock.now());
        req = parseRequest(request);
        if (!req) {
          return answer(
            fail('VALIDATION_ERROR', 'path is not valid percent-encoding', { field: 'path' }),
          );
        }
        return answer(await route(ctx, req));
      } catch (error) {
        // A bug, not an input: tell onError, and answer like the platform rather than crash
        // the adapter.
        try {
          onError(error, { source: 'request', method: req?.method, path: req?.pathname });
        } catch {
          // A throwing onError must not turn a 500 into a crash.
        }
        return answer(fail('INTERNAL_SERVER_ERROR', 'Internal server error'));
      }
    },
    async settled() {
      for (;;) {
        state.applyDue(clock.now());
        const due = state.nextDueMs();
        if (due === undefined) return;
        await clock.sleep(Math.max(0, due - clock.now()));
        // The wait is over once the clock's sleep says so, even if its time did not move.
        state.applyDue(due);
      }
    },
    ...createControls({ state, budget, clock, chain }),
  };
}

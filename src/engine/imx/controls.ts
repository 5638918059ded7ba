/** The test controls: set-up and read-back beside the routes, never reachable through `handle`. */

import { metadataUrl } from '../../metadata-api/url.js';
import { optionChecks } from '../../option-checks.js';
import { COLLECTION_ADDRESS_PATTERN } from '../../wire/schemas.js';
import { tokenIdListProblem } from '../../wire/token-id.js';
import type { ServiceClock } from '../types.js';
import { type RefreshBudget, rateLimitHeaders } from './budget.js';
import { checkTokenIds, placeholderMetadataApiUrl, type RefreshState } from './state.js';
import { type ErrorRow, type RefreshRecord, refreshToWire } from './store.js';
import type { RefreshControls, SeedError } from './types.js';
import type { Worker } from './worker.js';

/** What a seeded failure row says when the seed gives only a token id: the platform's 404. */
const DEFAULT_SEED_ERROR_CODE = 'invalid_response_status_code';
const NOT_FOUND_BODY = '404 page not found\n';

/** `n` generated ids `${prefix}1` … `${prefix}n`, or the ids given. */
function seedIds(value: string[] | number | undefined, prefix: string): string[] {
  return typeof value === 'number'
    ? Array.from({ length: value }, (_, i) => `${prefix}${i + 1}`)
    : (value ?? []);
}

/** The error row of a seeded failure, its defaults filled in. */
function seedErrorRow(
  f: SeedError,
  collectionAddress: string,
  metadataApiUrl: string,
  startedAtMs: number,
): ErrorRow {
  const errorCode = f.errorCode ?? DEFAULT_SEED_ERROR_CODE;
  const statusCode =
    f.statusCode !== undefined ? f.statusCode : errorCode === DEFAULT_SEED_ERROR_CODE ? 404 : null;
  return {
    token_id: f.tokenId,
    collection_address: collectionAddress,
    client_token_metadata_url: metadataUrl(metadataApiUrl, f.tokenId),
    client_response_status_code: statusCode,
    client_response_body:
      f.body !== undefined ? f.body : statusCode === 404 ? NOT_FOUND_BODY : null,
    error_code: errorCode,
    created_at: new Date(f.createdAt?.getTime() ?? startedAtMs).toISOString(),
  };
}

/** Builds the controls over the service's state, budget and worker. */
export function createControls(deps: {
  state: RefreshState;
  budget: RefreshBudget;
  worker: Worker;
  clock: ServiceClock;
  generateId: () => string;
}): RefreshControls {
  const { state, budget, worker, clock, generateId } = deps;
  return {
    getRefresh(refreshId) {
      const record = state.store.get(refreshId);
      return record ? refreshToWire(record) : undefined;
    },
    getTokenMetadata(collectionAddress, tokenId) {
      const found = state.store.getMetadata(collectionAddress, tokenId);
      return found
        ? { metadata: found.metadata, updatedAt: new Date(found.updatedAtMs).toISOString() }
        : undefined;
    },
    addTokens: (collectionAddress, tokenIds) => state.addTokens(collectionAddress, tokenIds),
    seedRefresh(seed) {
      const collectionAddress = seed?.collectionAddress;
      if (
        typeof collectionAddress !== 'string' ||
        !COLLECTION_ADDRESS_PATTERN.test(collectionAddress)
      ) {
        throw new TypeError(
          'seedRefresh: collectionAddress must be 0x followed by 40 hex characters',
        );
      }
      const failed: SeedError[] =
        typeof seed.failed === 'number'
          ? seedIds(seed.failed, 'f').map((tokenId) => ({ tokenId }))
          : (seed.failed ?? []);
      const succeeded = seedIds(seed.succeeded, 's');
      const pending = seedIds(seed.pending, 'p');
      const startedAtMs = seed.startedAt?.getTime() ?? clock.now();
      const record: RefreshRecord = {
        id: seed.refreshId ?? generateId(),
        collectionAddress,
        startedAtMs,
        completedAtMs: pending.length === 0 ? startedAtMs : null,
        tokenIds: [...succeeded, ...failed.map((f) => f.tokenId), ...pending],
        succeeded: succeeded.length,
        failed: failed.length,
        errors: [],
      };
      const problem = tokenIdListProblem(record.tokenIds);
      if (problem?.kind === 'invalid') checkTokenIds(record.tokenIds, 'seedRefresh');
      if (problem?.kind === 'empty') throw new TypeError('seedRefresh: give at least one token');
      if (problem?.kind === 'repeated') {
        throw new TypeError(`seedRefresh: token id ${problem.repeats[0].id} appears twice`);
      }
      if (state.store.get(record.id)) {
        throw new TypeError(`seedRefresh: refresh ${record.id} exists`);
      }
      const base =
        state.collection(collectionAddress)?.metadataApiUrl ??
        placeholderMetadataApiUrl(collectionAddress);
      state.store.add(record);
      state.store.addErrors(
        record,
        failed.map((f) => seedErrorRow(f, collectionAddress, base, startedAtMs)),
      );
      return record.id;
    },
    setRemainingRefreshes(remaining) {
      optionChecks('setRemainingRefreshes').nonNegativeInteger('remaining', remaining);
      budget.setRemaining(remaining, clock.now());
    },
    rateLimitHeaders: () => rateLimitHeaders(budget.peek(clock.now())),
    reset() {
      worker.abandon();
      state.reset();
      budget.reset();
    },
  };
}

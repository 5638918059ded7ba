/**
 * The service's state: the collections it knows (with the tokens added since), the refreshes and
 * metadata in the store, and what a token's outcome does to them. No routes and no HTTP here.
 */
import type { FetchOutcome } from '../../metadata-api/classify.js';
import { checkMetadataApiUrl } from '../../metadata-api/url.js';
import { COLLECTION_ADDRESS_PATTERN } from '../../wire/schemas.js';
import { tokenIdProblem } from '../../wire/token-id.js';
import type { ServiceClock } from '../types.js';
import { RefreshStore } from './store.js';
import type { CollectionConfig } from './types.js';
import type { TokenTask } from './worker.js';

/** A collection as the routes see it. */
export interface KnownCollection {
  address: string;
  metadataApiUrl: string;
  /** The tokens that exist; undefined when every token id does. */
  tokenIds: Set<string> | undefined;
}

interface ConfiguredCollection extends KnownCollection {
  /** The tokens configured, which `reset()` goes back to (forgetting `addTokens`). */
  configuredTokenIds: readonly string[] | undefined;
}

/** The Metadata API URL of a collection no configuration names: it labels error rows only. */
export function placeholderMetadataApiUrl(address: string): string {
  return `https://metadata.invalid/${address}`;
}

/** Throws a TypeError naming `label` when any of `ids` is not a usable token id. */
export function checkTokenIds(ids: readonly unknown[], label: string): void {
  for (const id of ids) {
    const problem = tokenIdProblem(id);
    if (problem !== undefined) {
      throw new TypeError(`${label}: token id ${JSON.stringify(id)} ${problem}`);
    }
  }
}

function configured(c: CollectionConfig): [string, ConfiguredCollection] {
  if (!COLLECTION_ADDRESS_PATTERN.test(c.address)) {
    throw new TypeError(`collection address ${c.address} must be 0x followed by 40 hex characters`);
  }
  checkMetadataApiUrl(c.metadataApiUrl, `collection ${c.address}`);
  if (c.tokenIds) checkTokenIds(c.tokenIds, `collection ${c.address}`);
  return [
    c.address.toLowerCase(),
    {
      address: c.address,
      metadataApiUrl: c.metadataApiUrl,
      tokenIds: c.tokenIds ? new Set(c.tokenIds) : undefined,
      configuredTokenIds: c.tokenIds ? [...c.tokenIds] : undefined,
    },
  ];
}

/** In-memory state of one project. */
export class RefreshState {
  /** Refreshes, their failed tokens, and the last metadata fetched per token. */
  readonly store = new RefreshStore();
  /** Undefined: every collection exists. */
  readonly #collections: Map<string, ConfiguredCollection> | undefined;

  /** @throws {TypeError} when a collection's address, Metadata API URL or token id is unusable. */
  constructor(collections: CollectionConfig[] | undefined) {
    this.#collections = collections ? new Map(collections.map(configured)) : undefined;
  }

  /** A collection by address (any case); without configured collections, every one exists. */
  collection(address: string): KnownCollection | undefined {
    if (!this.#collections) {
      return { address, metadataApiUrl: placeholderMetadataApiUrl(address), tokenIds: undefined };
    }
    return this.#collections.get(address.toLowerCase());
  }

  /** Registers more existing tokens of a configured collection (a no-op when every id exists). */
  addTokens(collectionAddress: string, tokenIds: string[]): void {
    const collection = this.#collections?.get(collectionAddress.toLowerCase());
    if (!collection) throw new TypeError(`Collection ${collectionAddress} is not configured`);
    if (!Array.isArray(tokenIds)) throw new TypeError('addTokens: tokenIds must be an array');
    checkTokenIds(tokenIds, 'addTokens');
    if (!collection.tokenIds) return;
    for (const id of tokenIds) collection.tokenIds.add(id);
  }

  /** Records a token's outcome on its refresh (gone after a reset: then nothing happens). */
  recordOutcome(
    task: TokenTask,
    outcome: FetchOutcome | { ok: false; errorCode: 'token_not_found' },
    clock: ServiceClock,
  ): void {
    const record = this.store.get(task.refreshId);
    if (!record) return;
    const now = clock.now();
    if (outcome.ok) {
      record.succeeded++;
      this.store.setMetadata(task.collectionAddress, task.tokenId, {
        metadata: outcome.metadata,
        updatedAtMs: now,
      });
    } else {
      record.failed++;
      const http = 'statusCode' in outcome ? outcome : { statusCode: null, body: null };
      this.store.addError(record, {
        token_id: task.tokenId,
        collection_address: task.collectionAddress,
        client_token_metadata_url: task.url,
        client_response_status_code: http.statusCode,
        client_response_body: http.body,
        error_code: outcome.errorCode,
        created_at: new Date(now).toISOString(),
      });
    }
    if (record.succeeded + record.failed === record.tokenIds.length) record.completedAtMs = now;
  }

  /** Forgets every refresh and metadata, and the tokens added with `addTokens`. */
  reset(): void {
    this.store.clear();
    for (const collection of this.#collections?.values() ?? []) {
      collection.tokenIds = collection.configuredTokenIds && new Set(collection.configuredTokenIds);
    }
  }
}

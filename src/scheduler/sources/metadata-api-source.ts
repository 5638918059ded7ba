/**
 * The bridge from pull to push: reads each token's current metadata from the studio's Metadata
 * API (`${baseUrl}/${tokenId}`, the endpoint Immutable X pulled from) under the rules that
 * service applied, so a studio moving to zkEVM pushes what its marketplaces used to pull.
 */

import type { MetadataPushFields } from '../../client/zkevm-validate.js';
import { InvalidRequestError } from '../../errors.js';
import { isTransientFetchFailure } from '../../metadata-api/classify.js';
import { fetchMetadataOverHttp } from '../../metadata-api/fetch-over-http.js';
import {
  DEFAULT_MAX_METADATA_BYTES,
  METADATA_API_ATTEMPTS,
  METADATA_API_TIMEOUT_MS,
} from '../../metadata-api/limits.js';
import { readTokenMetadata } from '../../metadata-api/read-token.js';
import type { FetchMetadata } from '../../metadata-api/types.js';
import { checkMetadataApiUrl, metadataUrl } from '../../metadata-api/url.js';
import type { RefreshErrorCode } from '../../wire/schemas.js';
import { MAX_ITEM_BYTES, wireByteLength } from '../../wire/zkevm/limits.js';
import { metadataPushFromJson } from '../../wire/zkevm/mappers.js';
import { METADATA_KEYS } from '../../wire/zkevm/schemas.js';
import { SCHEDULER_FAILURE_CODES } from '../failure-codes.js';
import { MetadataReadError, type MetadataSource } from './metadata-source.js';

/** Options of {@link metadataApiSource}. */
export interface MetadataApiSourceOptions {
  /** The Metadata API's base URL; a token's metadata is at `${baseUrl}/${tokenId}`. */
  baseUrl: string;
  /** Tokens read at once. Default 16. */
  concurrency?: number | undefined;
  /** Per attempt, in ms. Default 3000, as the Immutable X service. */
  timeoutMs?: number | undefined;
  /** Attempts per token. Default 2 (one retry), as the Immutable X service. */
  attempts?: number | undefined;
  /** Longest body read, in bytes; longer fails with `unable_to_decode_response`. Default 1 MiB. */
  maxBytes?: number | undefined;
  /** How a token is fetched. Default: the global `fetch`, no redirects followed, the body streamed and cut at `maxBytes`. */
  fetchMetadata?: FetchMetadata | undefined;
}

function readError(outcome: { errorCode: RefreshErrorCode; statusCode: number | null }) {
  return new MetadataReadError({
    errorCode: outcome.errorCode,
    statusCode: outcome.statusCode,
    transient: isTransientFetchFailure(outcome.errorCode, outcome.statusCode),
  });
}

/**
 * The document as a push: its seven fields (other keys, common in ERC-721 JSON, are not pushed),
 * or why it cannot be pushed.
 */
function toPush(tokenId: string, json: Record<string, unknown>): MetadataPushFields | Error {
  const mapped = metadataPushFromJson(json, { tokenId, unknownKeys: 'ignore' });
  if (mapped.ok) {
    const { tokenId: _, ...fields } = mapped.nft;
    return fields;
  }
  const fields = Object.fromEntries(METADATA_KEYS.map((key) => [key, json[key] ?? null]));
  const tooLarge = wireByteLength({ token_id: tokenId, ...fields }) > MAX_ITEM_BYTES;
  return new MetadataReadError({
    errorCode: tooLarge
      ? SCHEDULER_FAILURE_CODES.metadataTooLarge
      : SCHEDULER_FAILURE_CODES.invalidMetadata,
    statusCode: 200,
    transient: false,
    message: `metadata of token ${tokenId} cannot be pushed: ${mapped.problem}`,
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new InvalidRequestError(`metadataApiSource: ${name} must be a positive integer`);
  }
  return v;
}

/**
 * Reads metadata from a Metadata API: 3 s per attempt, one retry, a 200 with a JSON object, a
 * bounded body, at most `concurrency` tokens at once. A token that fails ends as the Immutable X
 * service would have recorded it: `unable_to_retrieve_metadata` (no answer; retried),
 * `invalid_response_status_code` (retried on 429 and 5xx) or `unable_to_decode_response`.
 *
 * @example
 * ```ts
 * const metadata = metadataApiSource({ baseUrl: 'https://game.example/metadata' });
 * ```
 * @throws {InvalidRequestError} `baseUrl` is not an absolute URL without query or fragment, or an option is out of range.
 */
export function metadataApiSource(options: MetadataApiSourceOptions): MetadataSource {
  const baseUrl = options?.baseUrl;
  if (typeof baseUrl !== 'string') {
    throw new InvalidRequestError('metadataApiSource needs a baseUrl');
  }
  try {
    checkMetadataApiUrl(baseUrl, 'metadataApiSource');
  } catch (error) {
    throw new InvalidRequestError((error as Error).message);
  }
  const concurrency = positiveInt(options.concurrency, 16, 'concurrency');
  const timeoutMs = positiveInt(options.timeoutMs, METADATA_API_TIMEOUT_MS, 'timeoutMs');
  const attempts = positiveInt(options.attempts, METADATA_API_ATTEMPTS, 'attempts');
  const maxBytes = positiveInt(options.maxBytes, DEFAULT_MAX_METADATA_BYTES, 'maxBytes');
  const fetchMetadata = options.fetchMetadata ?? fetchMetadataOverHttp;

  return async (contractAddress, tokenIds, { signal }) => {
    const out = new Map<string, MetadataPushFields | Error>();
    // One listener on the caller's long-lived signal, not one per read in flight (Node warns
    // past 10): it aborts the reads' own controllers.
    const reads = new Set<AbortController>();
    const abortReads = () => {
      for (const read of reads) read.abort(signal.reason);
    };
    signal.addEventListener('abort', abortReads, { once: true });
    let next = 0;
    const worker = async () => {
      while (next < tokenIds.length && !signal.aborted) {
        const tokenId = tokenIds[next++] as string;
        const read = new AbortController();
        reads.add(read);
        try {
          const outcome = await readTokenMetadata({
            fetchMetadata,
            url: metadataUrl(baseUrl, tokenId),
            collectionAddress: contractAddress,
            tokenId,
            attempts,
            timeoutMs,
            maxBytes,
            signal: read.signal,
          });
          out.set(tokenId, outcome.ok ? toPush(tokenId, outcome.metadata) : readError(outcome));
        } finally {
          reads.delete(read);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, tokenIds.length) }, worker));
    } finally {
      signal.removeEventListener('abort', abortReads);
    }
    return out;
  };
}

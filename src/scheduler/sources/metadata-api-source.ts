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
import { optionChecks } from '../../option-checks.js';
import { metadataPushFromJson, type NftMetadataRefresh } from '../../wire/zkevm/mappers.js';
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

/** How a Metadata API is read: {@link MetadataApiSourceOptions} checked, the defaults filled in. */
export interface MetadataApiReader {
  baseUrl: string;
  concurrency: number;
  timeoutMs: number;
  attempts: number;
  maxBytes: number;
  fetchMetadata: FetchMetadata;
}

/**
 * One token as read: the push item and the document's keys the platform has no field for, or
 * why it cannot be pushed, with the Metadata API's body (cut) and, for a document the push
 * refuses, the problem alone (the error's message names the token too).
 */
export type TokenRead =
  | { ok: true; nft: NftMetadataRefresh; ignoredKeys: string[] }
  | { ok: false; error: MetadataReadError; body: string | null; problem?: string };

/**
 * Checks the options and fills in the defaults (`concurrency` 16, the Immutable X service's
 * 3 s, one retry and 1 MiB).
 * @throws {InvalidRequestError} `baseUrl` is not an absolute URL without query or fragment (named as `label`), or an option is out of range.
 */
export function metadataApiReader(
  options: MetadataApiSourceOptions,
  label = 'metadataApiSource',
): MetadataApiReader {
  const baseUrl = options?.baseUrl;
  if (typeof baseUrl !== 'string') {
    throw new InvalidRequestError(`${label} needs a baseUrl`);
  }
  try {
    checkMetadataApiUrl(baseUrl, label);
  } catch (error) {
    throw new InvalidRequestError((error as Error).message);
  }
  const check = optionChecks(label);
  const positiveInt = (value: number | undefined, fallback: number, name: string) =>
    check.positiveInteger(name, value ?? fallback);
  return {
    baseUrl,
    concurrency: positiveInt(options.concurrency, 16, 'concurrency'),
    timeoutMs: positiveInt(options.timeoutMs, METADATA_API_TIMEOUT_MS, 'timeoutMs'),
    attempts: positiveInt(options.attempts, METADATA_API_ATTEMPTS, 'attempts'),
    maxBytes: positiveInt(options.maxBytes, DEFAULT_MAX_METADATA_BYTES, 'maxBytes'),
    fetchMetadata: options.fetchMetadata ?? fetchMetadataOverHttp,
  };
}

/**
 * The document as a push: its seven fields (other keys, common in ERC-721 JSON, are listed, not
 * pushed), or why it cannot be pushed.
 */
function toPush(tokenId: string, json: Record<string, unknown>): TokenRead {
  const mapped = metadataPushFromJson(json, { tokenId, unknownKeys: 'ignore' });
  if (mapped.ok) return mapped;
  const error = new MetadataReadError({
    errorCode: mapped.tooLarge
      ? SCHEDULER_FAILURE_CODES.metadataTooLarge
      : SCHEDULER_FAILURE_CODES.invalidMetadata,
    statusCode: 200,
    transient: false,
    message: `metadata of token ${tokenId} cannot be pushed: ${mapped.problem}`,
  });
  return { ok: false, error, body: null, problem: mapped.problem };
}

/**
 * Reads `tokenIds` of a collection, at most `concurrency` at once, each under the reader's
 * attempts, timeout and body cap; `onRead` hears each token as it ends. Stops starting reads,
 * and aborts those in flight, when `signal` aborts: an id not read is missing from the map.
 * The loop behind {@link metadataApiSource} and the CLI's `zkevm push --from-metadata-api`.
 */
export async function readMetadataApi(
  reader: MetadataApiReader,
  contractAddress: string,
  tokenIds: readonly string[],
  signal: AbortSignal,
  onRead?: (tokenId: string, read: TokenRead) => void,
): Promise<Map<string, TokenRead>> {
  const out = new Map<string, TokenRead>();
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
      const controller = new AbortController();
      reads.add(controller);
      try {
        const outcome = await readTokenMetadata({
          fetchMetadata: reader.fetchMetadata,
          url: metadataUrl(reader.baseUrl, tokenId),
          collectionAddress: contractAddress,
          tokenId,
          attempts: reader.attempts,
          timeoutMs: reader.timeoutMs,
          maxBytes: reader.maxBytes,
          signal: controller.signal,
        });
        const read: TokenRead = outcome.ok
          ? toPush(tokenId, outcome.metadata)
          : {
              ok: false,
              error: new MetadataReadError({
                errorCode: outcome.errorCode,
                statusCode: outcome.statusCode,
                transient: isTransientFetchFailure(outcome.errorCode, outcome.statusCode),
              }),
              body: outcome.body,
            };
        out.set(tokenId, read);
        onRead?.(tokenId, read);
      } finally {
        reads.delete(controller);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(reader.concurrency, tokenIds.length) }, worker),
    );
  } finally {
    signal.removeEventListener('abort', abortReads);
  }
  return out;
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
  const reader = metadataApiReader(options);
  return async (contractAddress, tokenIds, { signal }) => {
    const reads = await readMetadataApi(reader, contractAddress, tokenIds, signal);
    const out = new Map<string, MetadataPushFields | Error>();
    for (const [tokenId, read] of reads) {
      if (!read.ok) out.set(tokenId, read.error);
      else {
        const { tokenId: _, ...fields } = read.nft;
        out.set(tokenId, fields);
      }
    }
    return out;
  };
}

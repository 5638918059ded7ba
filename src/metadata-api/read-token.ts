/** One token's metadata read from a Metadata API under the service's rules: attempts, timeout, body cap. */
import { classifyFetch, type FetchOutcome } from './classify.js';
import type { FetchMetadata, MetadataFetchResult } from './types.js';

/** Parameters of {@link readTokenMetadata}. */
export interface ReadTokenMetadataParameters {
  fetchMetadata: FetchMetadata;
  /** `${metadataApiUrl}/${tokenId}` (see `metadataUrl`). */
  url: string;
  collectionAddress: string;
  tokenId: string;
  /** Attempts in all; the last one decides the outcome. */
  attempts: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Longest body read; longer fails the attempt with `unable_to_decode_response`. */
  maxBytes: number;
  /** Stops further attempts (and, through the fetcher, the one in flight). */
  signal: AbortSignal;
}

/**
 * Reads one token, retrying a failed attempt until `attempts` are spent. Never throws: a fetcher
 * that throws counts as no answer (`unable_to_retrieve_metadata`), like one that never answered.
 */
export async function readTokenMetadata(
  parameters: ReadTokenMetadataParameters,
): Promise<FetchOutcome> {
  const { fetchMetadata, attempts, signal, maxBytes } = parameters;
  let outcome: FetchOutcome | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (signal.aborted) break;
    let result: MetadataFetchResult;
    try {
      result = await fetchMetadata({
        url: parameters.url,
        collectionAddress: parameters.collectionAddress,
        tokenId: parameters.tokenId,
        timeoutMs: parameters.timeoutMs,
        maxBytes,
        signal,
      });
    } catch (error) {
      result = { status: null, reason: error instanceof Error ? error.message : String(error) };
    }
    outcome = classifyFetch(result, maxBytes);
    if (outcome.ok) break;
  }
  return (
    outcome ?? { ok: false, errorCode: 'unable_to_retrieve_metadata', statusCode: null, body: null }
  );
}

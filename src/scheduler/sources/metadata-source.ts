/**
 * Where a zkEVM push gets each token's current metadata: a function of the game's (its own
 * database, a cache) or {@link metadataApiSource}, the studio's existing Metadata API.
 */
import type { MetadataPushFields } from '../../client/zkevm-validate.js';
import { MetadataRefreshError } from '../../errors.js';

/**
 * Reads the current metadata of some tokens of one collection. Resolves a map from each token id
 * to its metadata (camelCase, as `refreshNftMetadata` takes it: **a field left out is cleared**)
 * or to an `Error` saying why it could not be read (a {@link MetadataReadError} carries a code;
 * any other error counts as transient and the id is tried again later). An id missing from the map
 * is tried again later too. Rejecting fails the whole batch's read the same transient way.
 */
export type MetadataSource = (
  contractAddress: string,
  tokenIds: readonly string[],
  options: MetadataSourceOptions,
) => Promise<Map<string, MetadataPushFields | Error>>;

/** What the scheduler hands a {@link MetadataSource} with each read. */
export interface MetadataSourceOptions {
  /** Aborted when the scheduler stops: a source should give up its reads. */
  signal: AbortSignal;
}

/** What a {@link MetadataReadError} says of one token. */
export interface MetadataReadErrorOptions {
  /** The failure code (see {@link MetadataReadError.errorCode}). */
  errorCode: string;
  /** The Metadata API's HTTP status, or null when it did not answer. */
  statusCode: number | null;
  /** Whether a later try may succeed. */
  transient: boolean;
  /** The message; by default one built from the code and status. */
  message?: string | undefined;
}

/** Why one token's metadata could not be read. */
export class MetadataReadError extends MetadataRefreshError {
  override name = 'MetadataReadError';
  /** `unable_to_retrieve_metadata`, `invalid_response_status_code`, `unable_to_decode_response` or a source's own code. */
  readonly errorCode: string;
  /** The Metadata API's HTTP status, when it answered. */
  readonly statusCode: number | null;
  /** Whether a later try may succeed (no answer, a 429 or a 5xx). */
  readonly transient: boolean;

  constructor(init: MetadataReadErrorOptions) {
    super(
      init.message ??
        `metadata could not be read: ${init.errorCode}${init.statusCode === null ? '' : ` (HTTP ${init.statusCode})`}`,
    );
    this.errorCode = init.errorCode;
    this.statusCode = init.statusCode;
    this.transient = init.transient;
  }
}

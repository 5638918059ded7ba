/**
 * The scheduler's own failure codes, beside the Metadata API's (`unable_to_retrieve_metadata`,
 * `invalid_response_status_code`, `unable_to_decode_response`), for what only a push can meet.
 */
export const SCHEDULER_FAILURE_CODES = {
  /** The token's metadata is over 16 KiB as pushed: no request may carry it. Never sent. */
  metadataTooLarge: 'metadata_too_large',
  /** The metadata breaks the push's rules (a field of the wrong type, a bad attribute). Never sent. */
  invalidMetadata: 'invalid_metadata',
  /** The metadata source returned nothing for the id. Retried. */
  metadataNotReturned: 'metadata_not_returned',
  /** `verify`: the pushed NFT's `metadataSyncedAt` did not reach the push within `timeoutMs`. */
  metadataNotSynced: 'metadata_not_synced',
} as const;

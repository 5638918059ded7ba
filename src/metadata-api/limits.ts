/**
 * How the Immutable X service read a token's metadata from a studio's Metadata API: the rules the
 * reference worker applies and the zkEVM scheduler's `metadataApiSource` follows, in one place.
 */

/** Each attempt is abandoned after this long (the platform's 3 s). */
export const METADATA_API_TIMEOUT_MS = 3_000;

/** Attempts per token: one try and one retry; the last attempt decides the outcome. */
export const METADATA_API_ATTEMPTS = 2;

/** Response bodies kept on an error row are cut to this many characters. */
export const MAX_ERROR_BODY_LENGTH = 1000;

/**
 * Default of `maxMetadataBytes`: the longest Metadata API body read, 1 MiB. A token's metadata
 * JSON is a few KiB; the service keeps at most {@link MAX_ERROR_BODY_LENGTH} characters of a failed
 * answer, so reading more only lets a hostile Metadata API fill the reader's memory.
 */
export const DEFAULT_MAX_METADATA_BYTES = 1024 * 1024;

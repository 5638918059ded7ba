/** How a Metadata API is reached: one GET per token, through an injected fetch function. */

/** What the worker gets back from a Metadata API for one token. */
export type MetadataFetchResult =
  /**
   * An HTTP answer: its status and body text. `truncated: true` says the body was longer than
   * the request's `maxBytes` and the fetcher stopped reading: `body` holds the start of it (at
   * least the 1000 characters an error row keeps, when the body had them).
   */
  | { status: number; body: string; truncated?: boolean | undefined }
  /** No answer (timeout, refused, reset); `reason` says which, for logs. */
  | { status: null; reason: string };

/** One request to a Metadata API, as the worker or a scheduler source asks for it. */
export interface MetadataFetchRequest {
  /** `${metadataApiUrl}/${tokenId}`. */
  url: string;
  collectionAddress: string;
  tokenId: string;
  /** Give up (and resolve `{ status: null }` or throw) after this long. */
  timeoutMs: number;
  /**
   * Read at most this many body bytes: past them, stop reading (abort the request) and resolve
   * the start of the body with `truncated: true`. The service's `maxMetadataBytes`.
   */
  maxBytes: number;
  /** Aborted when the service stops or resets: give up at once, the outcome is not recorded. */
  signal: AbortSignal;
}

/**
 * How the worker reaches a Metadata API. The server passes an HTTP implementation; the msw mock
 * passes one built from `resolveMetadata`. Throwing counts as no response. It must give up after
 * `timeoutMs` (and on `signal`), and stop reading past `maxBytes`: the worker relies on it, and a
 * fetch that never ends keeps its token pending and `settled()` waiting. (A body over `maxBytes`
 * returned anyway still fails the token, but has already cost the memory.)
 */
export type FetchMetadata = (request: MetadataFetchRequest) => Promise<MetadataFetchResult>;

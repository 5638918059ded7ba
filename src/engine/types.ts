/**
 * The transport-neutral request and response every reference engine answers, and what its
 * adapters share (the clock shape, where a bug happened). Each engine's own options live beside
 * it (`imx/types.ts`, `zkevm/types.ts`).
 */

/** A request as an adapter hands it to `service.handle`. */
export interface ServiceRequest {
  /** HTTP method, any case. */
  method: string;
  /** The path, optionally with a query string (`/v1/metadata-refreshes?page_size=10`). */
  path: string;
  /** Query parameters; merged over any query string in `path`. */
  query?: Record<string, string | string[] | undefined> | URLSearchParams | undefined;
  /** Request headers, any case. */
  headers?: Record<string, string | string[] | undefined> | Headers | undefined;
  /**
   * The raw body: text, bytes, or a {@link ReadBody} the engine calls only once the request is
   * authenticated and its declared length is within the limit, so an adapter holds no body for
   * a caller that cannot be served. An adapter with a socket should pass a reader.
   */
  body?: string | Uint8Array | ReadBody | undefined;
}

/**
 * Reads a request's body on demand: resolves with it, or with its first `maxBytes + 1` bytes
 * when it is longer (the engine then answers 413, so reading on is waste). Rejecting means the
 * body could not be read, e.g. the client went away: the engine answers 400 and reports nothing.
 */
export type ReadBody = (maxBytes: number) => Promise<string | Uint8Array | undefined>;

/** What the adapter writes back. `body` is a JSON value; adapters serialise it. */
export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The service's source of time. */
export interface ServiceClock {
  /**
   * Milliseconds since the unix epoch. Never throws, and an implementation must not: the service
   * reads it while answering and while recording outcomes.
   */
  now(): number;
}

/** Where a bug reported to `onError` happened. */
export interface ServiceErrorContext {
  /** `request`: while answering a request; `worker`: while processing a token. */
  source: 'request' | 'worker';
  /** The request's method, for `request`. */
  method?: string | undefined;
  /** The request's path without its query string, for `request`. */
  path?: string | undefined;
}

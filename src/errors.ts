import type { RateLimit } from './wire/rate-limit.js';
import type { ZkEvmRateLimit } from './wire/zkevm/rate-limit.js';

/** Response headers as a plain object with lower-case names. */
export type ResponseHeaders = Record<string, string>;

/**
 * One request that the API accepted during a multi-request call (`requestRefreshes`,
 * `refreshNftsMetadata`): the token ids it covered, and the receipt when the API gives one.
 */
export interface AcceptedRequest {
  /** The receipt returned by the API: an Immutable X refresh id; undefined for a zkEVM push, which has none. */
  refreshId?: string | undefined;
  /** The token ids that this request covers. */
  tokenIds: string[];
}

/** A refresh that the Immutable X API accepted during `requestRefreshes`. */
export interface AcceptedRefresh extends AcceptedRequest {
  /** The receipt returned by the API. */
  refreshId: string;
}

/** One request of `refreshNftsMetadata` that the platform accepted. */
export interface AcceptedPush extends AcceptedRequest {
  /** The token ids this request pushed, in input order. */
  tokenIds: string[];
  /** The budget after this request. */
  rateLimit: ZkEvmRateLimit | undefined;
}

/**
 * How far a multi-request call got before it threw; `A` is what one accepted request records.
 * Every token id of the call is in exactly one of the three lists (or in a request of the
 * result, had the call not thrown).
 */
export interface RequestProgressOf<A extends AcceptedRequest> {
  /** The requests the API accepted before the failure, in order. */
  readonly accepted: readonly A[];
  /** Token ids certainly not sent. Send them again later; nothing else holds them. */
  readonly notSent: readonly string[];
  /**
   * Token ids of the failing request when it may have reached the server (a timeout, a broken
   * connection, a 5xx or 408, a redirect): they may or may not have been accepted. Check
   * `listRefreshes` (Immutable X) or the NFTs' `metadataSyncedAt` (zkEVM) before resending.
   */
  readonly uncertain: readonly string[];
}

/** The progress of a `requestRefreshes` call that threw. */
export interface RequestRefreshesProgress extends RequestProgressOf<AcceptedRefresh> {
  /** The call that threw. */
  readonly operation: 'requestRefreshes';
}

/** The progress of a `refreshNftsMetadata` call that threw. */
export interface RefreshNftsMetadataProgress extends RequestProgressOf<AcceptedPush> {
  /** The call that threw. */
  readonly operation: 'refreshNftsMetadata';
}

/**
 * The progress of a multi-request call that threw, on its error's
 * {@link MetadataRefreshError.progress}. Narrow on `operation` to get the accepted requests'
 * own type (an Immutable X refresh carries its `refreshId`).
 */
export type RequestProgress = RequestRefreshesProgress | RefreshNftsMetadataProgress;

/**
 * What is kept of an underlying error from the HTTP stack: its name, message and system code, and
 * the same of its own cause. Never its request (headers, signature, body) or its config.
 */
export interface ErrorCause {
  /** The underlying error's name, e.g. `AxiosError`, `TypeError`. */
  name: string;
  /** The underlying error's message. */
  message: string;
  /** Its code, e.g. `ECONNRESET` or axios's `ERR_BAD_RESPONSE`, when it had one. */
  code?: string | undefined;
  /** The same summary of its own cause, when it had one. */
  cause?: ErrorCause | undefined;
}

/**
 * Reduces any thrown value to an {@link ErrorCause}: name, message and code only, down a few levels
 * of causes. An axios error holds the request's config and socket, and with them the signing
 * headers (or an API key); an error a user logs must never print those.
 */
export function scrubCause(error: unknown, depth = 3): ErrorCause | undefined {
  if (error === undefined || error === null || depth <= 0) return undefined;
  if (typeof error !== 'object' && typeof error !== 'function') {
    return { name: typeof error, message: String(error) };
  }
  const e = error as {
    name?: unknown | undefined;
    message?: unknown | undefined;
    code?: unknown | undefined;
    cause?: unknown | undefined;
  };
  const out: ErrorCause = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : '',
  };
  if (typeof e.code === 'string') out.code = e.code;
  const cause = scrubCause(e.cause, depth - 1);
  if (cause) out.cause = cause;
  return out;
}

/**
 * Records on `error` how far a multi-request call got (see {@link MetadataRefreshError.progress}),
 * once: frozen and read-only. Internal to the SDK's multi-request calls; the package root does not
 * export it.
 */
export function attachProgress<E extends MetadataRefreshError>(
  error: E,
  progress: RequestProgress,
): E {
  if (error.progress !== undefined) return error;
  const frozen = Object.freeze({
    ...progress,
    accepted: Object.freeze([...progress.accepted]),
    notSent: Object.freeze([...progress.notSent]),
    uncertain: Object.freeze([...progress.uncertain]),
  }) as RequestProgress;
  Object.defineProperty(error, 'progress', { value: frozen, enumerable: true });
  return error;
}

/** Where a failed request went; set on the errors raised while sending one. */
export interface RequestTarget {
  /** The HTTP method, e.g. `GET`. */
  method?: string | undefined;
  /** Path and query, e.g. `/v1/metadata-refreshes?page_size=10` (never headers or body). */
  path?: string | undefined;
}

/** What every error of the package may carry besides its message. */
export interface MetadataRefreshErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown | undefined;
}

/**
 * Base class of every error this SDK throws. Catch this to catch them all.
 *
 * `cause` holds the underlying error when it is safe to log (a zod error, an abort reason, or an
 * {@link ErrorCause} summary of an HTTP-stack error); never an axios error, whose config holds the
 * request's signing headers.
 */
export class MetadataRefreshError extends Error {
  override name = 'MetadataRefreshError';
  /**
   * Only on an error thrown by a multi-request call (`requestRefreshes`, `refreshNftsMetadata`)
   * once it has started sending: what was accepted, not sent, or may have been accepted. The
   * error keeps its own class (a `RateLimitError` stays one). Undefined on every other error,
   * and on input refused before anything was sent.
   */
  // `declare`: no own property on errors that carry none (inspect and JSON stay clean).
  declare readonly progress?: RequestProgress | undefined;

  constructor(message: string, options?: MetadataRefreshErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Input that the SDK refused before sending anything (a bad address, too many ids, ...). */
export class InvalidRequestError extends MetadataRefreshError {
  override name = 'InvalidRequestError';
}

/** What an {@link InvalidOptionError} names. */
export interface InvalidOptionErrorOptions extends MetadataRefreshErrorOptions {
  /** The function, class or method the option was given to, e.g. `createRedisStore`. */
  owner: string;
  /** The option, as a dotted path when it is nested, e.g. `windowMs` or `budget.limit`. */
  option: string;
}

/**
 * An option that the SDK refused: a client's, a scheduler's or a store's construction option, a
 * method's option (`pageSize`, `pollIntervalMs`), or the option of a reference engine, of the
 * msw mock or of one of their test controls. Every such check throws this class, with a message
 * that names the owner and the option (`createRedisStore: windowMs must be a positive number,
 * got 0`) and says what was received: a number is shown, anything else only by its type, since a
 * string could be a secret.
 *
 * A subclass of {@link InvalidRequestError}: code that catches that class catches this one too.
 */
export class InvalidOptionError extends InvalidRequestError {
  override name = 'InvalidOptionError';
  /** The function, class or method the option was given to, e.g. `createRedisStore`. */
  readonly owner: string;
  /** The option, as a dotted path when it is nested, e.g. `windowMs` or `budget.limit`. */
  readonly option: string;

  constructor(message: string, options: InvalidOptionErrorOptions) {
    super(message, options);
    this.owner = options.owner;
    this.option = options.option;
  }
}

/** What a {@link ConnectionError} says of the failed request. */
export interface ConnectionErrorOptions extends RequestTarget, MetadataRefreshErrorOptions {
  /** The system error code, e.g. `ECONNREFUSED`. */
  code?: string | undefined;
  /** True when the failure proves the request never left this process. */
  nothingSent: boolean;
}

/** The server could not be reached, or the connection broke before a response arrived. */
export class ConnectionError extends MetadataRefreshError {
  override name = 'ConnectionError';
  /** The system error code, e.g. `ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`. */
  readonly code: string | undefined;
  /** True when the failure proves the request never left this process (refused, DNS). */
  readonly nothingSent: boolean;
  /** The request's method. */
  readonly method: string | undefined;
  /** The request's path and query. */
  readonly path: string | undefined;

  constructor(message: string, options: ConnectionErrorOptions) {
    super(message, options);
    this.code = options.code;
    this.nothingSent = options.nothingSent;
    this.method = options.method;
    this.path = options.path;
  }
}

/** What a {@link TimeoutError} says of the timed-out request, when one request timed out. */
export interface TimeoutErrorOptions extends RequestTarget, MetadataRefreshErrorOptions {}

/**
 * A request attempt took longer than `timeoutMs` (`method` and `path` name it), or
 * `waitForRefresh` ran out of time.
 */
export class TimeoutError extends MetadataRefreshError {
  override name = 'TimeoutError';
  /** The timed-out request's method; undefined when no single request timed out. */
  readonly method: string | undefined;
  /** The timed-out request's path and query; undefined when no single request timed out. */
  readonly path: string | undefined;

  constructor(message: string, options: TimeoutErrorOptions = {}) {
    super(message, options);
    this.method = options.method;
    this.path = options.path;
  }
}

/** What a {@link ResponseTooLargeError} says of the request and the cap. */
export interface ResponseTooLargeErrorOptions extends RequestTarget, MetadataRefreshErrorOptions {
  /** The cap that was exceeded, in bytes. */
  maxResponseBytes: number;
}

/**
 * A response body grew past `maxResponseBytes` (default {@link DEFAULT_MAX_RESPONSE_BYTES}); the
 * client stopped reading it and closed the connection. Not retried: the same request would get the
 * same body. On a POST the refresh may have been created.
 */
export class ResponseTooLargeError extends MetadataRefreshError {
  override name = 'ResponseTooLargeError';
  /** The cap that was exceeded, in bytes (after decompression). */
  readonly maxResponseBytes: number;
  /** The request's method. */
  readonly method: string | undefined;
  /** The request's path and query. */
  readonly path: string | undefined;

  constructor(message: string, options: ResponseTooLargeErrorOptions) {
    super(message, options);
    this.maxResponseBytes = options.maxResponseBytes;
    this.method = options.method;
    this.path = options.path;
  }
}

/**
 * The default cap on a response body: 4 MiB. The API's largest legitimate response, a page of
 * 1000 refresh errors, stays far below it.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The signer could not sign a request (a locked wallet, a hardware wallet that refused, a remote
 * signer that is down); the signer's error, scrubbed, is in `cause`. Nothing was sent, so no
 * budget was spent: the same request can be made again once the signer works.
 */
export class SignerError extends MetadataRefreshError {
  override name = 'SignerError';
}

/** The caller's `AbortSignal` fired. The signal's reason is in `cause`. */
export class AbortError extends MetadataRefreshError {
  override name = 'AbortError';
}

/** What a {@link ResponseValidationError} keeps of the response. */
export interface ResponseValidationErrorOptions extends MetadataRefreshErrorOptions {
  /** The raw response body. */
  body: unknown;
  /** The HTTP status of the response. */
  status?: number | undefined;
}

/** The server answered with a body that does not match the documented wire shape. */
export class ResponseValidationError extends MetadataRefreshError {
  override name = 'ResponseValidationError';
  /** The raw response body, as received. */
  readonly body: unknown;
  /** The HTTP status of the response. */
  readonly status: number | undefined;

  constructor(message: string, options: ResponseValidationErrorOptions) {
    super(message, options);
    this.body = options.body;
    this.status = options.status;
  }
}

/** What a {@link PaginationCycleError} keeps: the page's body and the repeated cursor. */
export interface PaginationCycleErrorOptions {
  /** The raw body of the page whose cursor repeated. */
  body: unknown;
  /** The cursor that came back a second time. */
  cursor: string;
}

/**
 * The API handed back a cursor already seen in the same iteration (A, B, A, ...): following it
 * would loop forever, so the `iterate*` method stops. `cursor` is the repeated cursor.
 */
export class PaginationCycleError extends ResponseValidationError {
  override name = 'PaginationCycleError';
  /** The cursor that came back a second time. */
  readonly cursor: string;

  constructor(message: string, options: PaginationCycleErrorOptions) {
    super(message, { body: options.body });
    this.cursor = options.cursor;
  }
}

/** Options common to every {@link ApiError}. */
export interface ApiErrorOptions extends RequestTarget {
  /** HTTP status code. */
  status: number;
  /** The API's error code, or `unknown_error`. */
  code: string;
  /** The API's message (becomes {@link ApiError.apiMessage}). */
  message: string;
  /** The API's `details`. */
  details?: string | undefined;
  /** The API's trace id (zkEVM's `trace_id`), when the body carried one. */
  traceId?: string | undefined;
  /** The documentation link the body carried (zkEVM's `link`), if any. */
  link?: string | undefined;
  /** Response headers (lower-case names). */
  headers: ResponseHeaders;
  /** The raw response body. */
  body?: unknown | undefined;
  /** The underlying error, if any. */
  cause?: unknown | undefined;
}

/**
 * Input of {@link ApiError.from}: one error response, and what the client's reader of the API's
 * error body found in it. Everything but `status` is optional; what is missing gets the defaults
 * of a body in no known shape.
 */
export interface ApiErrorResponse extends RequestTarget {
  /** HTTP status code. */
  status: number;
  /** The raw response body. */
  body?: unknown | undefined;
  /** Response headers (lower-case names); never the request's. */
  headers?: ResponseHeaders | undefined;
  /** The API's error code from the body; default `unknown_error`. */
  code?: string | undefined;
  /**
   * The API's message from the body; default the body itself when it is text (trimmed, at most
   * 500 characters), else `HTTP <status>`.
   */
  message?: string | undefined;
  /** The API's textual `details`. */
  details?: string | undefined;
  /** The platform's trace id. */
  traceId?: string | undefined;
  /** The body's documentation link. */
  link?: string | undefined;
  /** The budget the response reported; kept on a 429's {@link RateLimitError}. */
  rateLimit?: RateLimit | undefined;
  /** How long the server asked to wait (`Retry-After`), in ms; kept on a 429. */
  retryAfterMs?: number | undefined;
  /**
   * When the response arrived, by the client's clock: on a 429 that named no wait, the wait is
   * the time until `rateLimit.resetAt`.
   */
  nowMs?: number | undefined;
  /** The request's absolute URL, to resolve a relative `Location` on a 3xx. */
  url?: string | undefined;
  /** Where a 3xx pointed, when known better than from `Location`. */
  locationHost?: string | undefined;
  /** The underlying error; only its summary is kept ({@link ErrorCause}). */
  cause?: unknown | undefined;
}

/** The longest text body kept as the message of an error response without a JSON body. */
const MAX_TEXT_MESSAGE = 500;

/**
 * The API answered with an error status. Subclasses name the status: {@link RedirectError},
 * {@link BadRequestError}, {@link AuthenticationError}, {@link PermissionDeniedError},
 * {@link NotFoundError}, {@link RateLimitError}, {@link InternalServerError}. Other statuses
 * (e.g. a proxy's 408) are a plain `ApiError`. {@link ApiError.from} picks the class.
 */
export class ApiError extends MetadataRefreshError {
  override name = 'ApiError';
  /** HTTP status code. */
  readonly status: number;
  /** The API's error code, e.g. `refresh_limit_exceeded` (Immutable X) or `VALIDATION_ERROR` (zkEVM); `unknown_error` when the body had none. */
  readonly code: string;
  /**
   * The API's own message, as the body said it (`message` adds the status and code in front).
   * On a {@link RedirectError}, the client's explanation of the refusal.
   */
  readonly apiMessage: string;
  /**
   * The API's `details`, when it sent them as text (Immutable X). zkEVM sends an object (e.g.
   * `{ field }` on a 400, `{ token_ids }` on a 404): read it from `body.details`.
   */
  readonly details: string | undefined;
  /** The platform's trace id (zkEVM's `trace_id`): quote it to the platform's support. */
  readonly traceId: string | undefined;
  /** The documentation link of the error body (zkEVM's `link`), when it sent one. */
  readonly link: string | undefined;
  /**
   * The response's headers (lower-case names), e.g. `retry-after` or a gateway's request id.
   * Never the request's headers; a credential the server echoes is `[redacted]`.
   */
  readonly headers: ResponseHeaders;
  /** The raw response body. */
  readonly body: unknown;
  /** The request's method, when the error came from a request this client sent. */
  readonly method: string | undefined;
  /** The request's path and query, when the error came from a request this client sent. */
  readonly path: string | undefined;

  constructor(init: ApiErrorOptions) {
    super(`${init.status} ${init.code}: ${init.message}`, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.apiMessage = init.message;
    this.details = init.details;
    this.traceId = init.traceId;
    this.link = init.link;
    this.headers = init.headers;
    this.body = init.body;
    this.method = init.method;
    this.path = init.path;
  }

  /**
   * The one status→class mapping: the typed error for an error response of either API. 3xx
   * {@link RedirectError}, 400 {@link BadRequestError}, 401 {@link AuthenticationError}, 403
   * {@link PermissionDeniedError}, 404 {@link NotFoundError}, 429 {@link RateLimitError}, 500 and
   * above {@link InternalServerError}, anything else a plain `ApiError`.
   *
   * @example
   * ```ts
   * const error = ApiError.from({ status: 404, body, headers, code: 'not_found', message: 'No such refresh' });
   * error instanceof NotFoundError; // true
   * ```
   * Never throws: a status or body it does not know gives a plain `ApiError`.
   */
  static from(response: ApiErrorResponse): ApiError {
    const { status, body } = response;
    const headers = response.headers ?? {};
    const init: ApiErrorOptions = {
      status,
      code: response.code ?? 'unknown_error',
      message:
        response.message ??
        (typeof body === 'string' && body.trim() !== ''
          ? body.trim().slice(0, MAX_TEXT_MESSAGE)
          : `HTTP ${status}`),
      details: response.details,
      traceId: response.traceId,
      link: response.link,
      headers,
      body,
      method: response.method,
      path: response.path,
      cause: response.cause === undefined ? undefined : scrubCause(response.cause),
    };
    if (status >= 300 && status < 400) {
      const locationHost = response.locationHost ?? hostOf(headers.location, response.url);
      return new RedirectError({ ...init, message: redirectMessage(locationHost), locationHost });
    }
    switch (status) {
      case 400:
        return new BadRequestError(init);
      case 401:
        return new AuthenticationError(init);
      case 403:
        return new PermissionDeniedError(init);
      case 404:
        return new NotFoundError(init);
      case 429: {
        const { rateLimit, nowMs } = response;
        const untilReset =
          rateLimit && nowMs !== undefined
            ? Math.max(0, rateLimit.resetAt.getTime() - nowMs)
            : undefined;
        return new RateLimitError({
          ...init,
          rateLimit,
          retryAfterMs: response.retryAfterMs ?? untilReset,
        });
      }
    }
    return status >= 500 ? new InternalServerError(init) : new ApiError(init);
  }
}

function redirectMessage(locationHost: string | undefined): string {
  return `redirect to ${locationHost ?? 'an unnamed location'} refused: the client never follows redirects`;
}

/** The host (and port) a `Location` names, resolved against `base`; undefined when it names none. */
export function hostOf(location: string | undefined, base: string | undefined): string | undefined {
  if (location === undefined) return undefined;
  try {
    return new URL(location, base).host || undefined;
  } catch {
    return undefined;
  }
}

/** {@link ApiErrorOptions} and where a redirect pointed. */
export interface RedirectErrorOptions extends ApiErrorOptions {
  /** The host (and port) of the `Location` header, if it named one. */
  locationHost?: string | undefined;
}

/**
 * 3xx: the server (or something in between) answered with a redirect. The client never follows
 * one, whatever axios instance it was given: the signed headers and the body would go to another
 * host, and that host's answer would be taken as the API's. On a POST the refresh may or may not
 * have been created (a 303 means it was).
 */
export class RedirectError extends ApiError {
  override name = 'RedirectError';
  /** The host (and port) the `Location` header pointed to, or undefined when it named none. */
  readonly locationHost: string | undefined;

  constructor(init: RedirectErrorOptions) {
    super(init);
    this.locationHost = init.locationHost;
  }
}

/** 400: the API refused the request's input. */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}
/**
 * 401: the credentials were missing, invalid or stale (Immutable X's signature headers; zkEVM's
 * `UNAUTHORISED_REQUEST`: no or an unknown API key).
 */
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
}
/**
 * 403: the credentials are valid but not allowed (Immutable X: the signer is not the project
 * owner; zkEVM's `AUTHENTICATION_ERROR`: the key lacks the scope or is another project's).
 */
export class PermissionDeniedError extends ApiError {
  override name = 'PermissionDeniedError';
}
/** 404: unknown refresh id, collection, NFT, metadata id or route. */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}
/** Any status of 500 or more. */
export class InternalServerError extends ApiError {
  override name = 'InternalServerError';
}

/** {@link ApiErrorOptions} and what a 429 says of the budget. */
export interface RateLimitErrorOptions extends ApiErrorOptions {
  /** The rate-limit state from the response headers, if sent. */
  rateLimit?: RateLimit | undefined;
  /** How long to wait before trying again. */
  retryAfterMs?: number | undefined;
}

/** 429: the project's hourly refresh budget is spent (or a GET was throttled). */
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
  /** The rate-limit state from the response headers, when the server sent them. */
  readonly rateLimit: RateLimit | undefined;
  /**
   * How long to wait before trying again, in ms. From the server's `Retry-After` (or a proxy's
   * `retry-after-ms`) when it is readable, at most `MAX_RETRY_AFTER_MS` (one hour) however long
   * the server asked; else the time until `rateLimit.resetAt`, which the client believes only up
   * to `MAX_RESET_AHEAD_MS` ahead. A `Retry-After` that says nothing readable (`-5`, junk) is
   * never read as 0. Undefined when neither is known. Finite and never negative when the client
   * made the error, so `setTimeout(retry, error.retryAfterMs)` waits as asked.
   */
  readonly retryAfterMs: number | undefined;

  constructor(init: RateLimitErrorOptions) {
    super(init);
    this.rateLimit = init.rateLimit;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** What a {@link StoreUnavailableError} says: the store operation that failed. */
export interface StoreUnavailableErrorOptions extends MetadataRefreshErrorOptions {
  /** The store operation that failed, e.g. `enqueue`. */
  operation: string;
}

/**
 * The scheduler's shared store (Redis) could not be reached, or did not answer within its
 * `commandTimeoutMs`. Nothing is known to have changed: an `enqueue` that rejects with this may
 * or may not have stored its ids, and enqueueing them again is harmless (ids deduplicate).
 */
export class StoreUnavailableError extends MetadataRefreshError {
  override name = 'StoreUnavailableError';
  /** The store operation that failed, e.g. `enqueue`. */
  readonly operation: string;

  constructor(message: string, options: StoreUnavailableErrorOptions) {
    super(message, options);
    this.operation = options.operation;
  }
}

/** What an {@link OutboxFullError} says: the outbox's bound, besides the store operation. */
export interface OutboxFullErrorOptions extends StoreUnavailableErrorOptions {
  /** The outbox's bound (`outbox.maxIds`), which these ids would have passed. */
  maxIds: number;
}

/**
 * The store could not be reached and the scheduler's local outbox, which keeps enqueued ids
 * until the store is back, is full: these ids were not kept anywhere. Enqueue them again later.
 * A {@link StoreUnavailableError}, so code that already retries those handles it.
 */
export class OutboxFullError extends StoreUnavailableError {
  override name = 'OutboxFullError';
  /** The outbox's bound (`outbox.maxIds`). */
  readonly maxIds: number;

  constructor(message: string, options: OutboxFullErrorOptions) {
    super(message, options);
    this.maxIds = options.maxIds;
  }
}

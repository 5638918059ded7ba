import type { RateLimit } from './wire/rate-limit.js';

/** Response headers as a plain object with lower-case names. */
export type ResponseHeaders = Record<string, string>;

/** A refresh that the API accepted during a multi-request call such as `requestRefreshes`. */
export interface AcceptedRefresh {
  /** The receipt returned by the API. */
  refreshId: string;
  /** The token ids that this refresh covers. */
  tokenIds: string[];
}

/**
 * Base class of every error this SDK throws. Catch this to catch them all.
 *
 * The underlying error (an axios or zod error, an abort reason) is kept in `cause`.
 */
export class MetadataRefreshError extends Error {
  override name = 'MetadataRefreshError';
  /**
   * Set by `requestRefreshes` when it stops part-way: the refreshes created before the failure.
   * Empty otherwise.
   */
  accepted: AcceptedRefresh[] = [];
  /**
   * Set by `requestRefreshes` when it stops part-way: token ids that were certainly not sent.
   * Request them again later; nothing else holds them.
   */
  notSent: string[] = [];
  /**
   * Set by `requestRefreshes` when the failing request may have reached the server (a timeout or
   * a 5xx after sending): these ids may or may not have been accepted. Check `listRefreshes`
   * before resending them.
   */
  uncertain: string[] = [];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Input that the SDK refused before sending anything (a bad address, too many ids, ...). */
export class InvalidRequestError extends MetadataRefreshError {
  override name = 'InvalidRequestError';
}

/** The server could not be reached, or the connection broke before a response arrived. */
export class ConnectionError extends MetadataRefreshError {
  override name = 'ConnectionError';
  /** The system error code, e.g. `ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`. */
  readonly code: string | undefined;
  /** True when the failure proves the request never left this process (refused, DNS). */
  readonly nothingSent: boolean;

  constructor(
    message: string,
    options: { code?: string | undefined; nothingSent: boolean; cause?: unknown },
  ) {
    super(message, options);
    this.code = options.code;
    this.nothingSent = options.nothingSent;
  }
}

/** A request attempt took longer than `timeoutMs`, or `waitForRefresh` ran out of time. */
export class TimeoutError extends MetadataRefreshError {
  override name = 'TimeoutError';
}

/** The caller's `AbortSignal` fired. The signal's reason is in `cause`. */
export class AbortError extends MetadataRefreshError {
  override name = 'AbortError';
}

/** The server answered with a body that does not match the documented wire shape. */
export class ResponseValidationError extends MetadataRefreshError {
  override name = 'ResponseValidationError';
  /** The raw response body, as received. */
  readonly body: unknown;
  /** The HTTP status of the response. */
  readonly status: number | undefined;

  constructor(message: string, options: { body: unknown; status?: number; cause?: unknown }) {
    super(message, options);
    this.body = options.body;
    this.status = options.status;
  }
}

/** Options common to every {@link ApiError}. */
export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: string | undefined;
  headers: ResponseHeaders;
  body?: unknown;
  cause?: unknown;
}

/**
 * The API answered with an error status. Subclasses name the status: {@link BadRequestError},
 * {@link AuthenticationError}, {@link PermissionDeniedError}, {@link NotFoundError},
 * {@link RateLimitError}, {@link InternalServerError}.
 */
export class ApiError extends MetadataRefreshError {
  override name = 'ApiError';
  /** HTTP status code. */
  readonly status: number;
  /** The API's error code, e.g. `refresh_limit_exceeded`; `unknown_error` when the body had none. */
  readonly code: string;
  /** The API's `details`, when it sent one. */
  readonly details: string | undefined;
  /** Response headers (lower-case names). */
  readonly headers: ResponseHeaders;
  /** The raw response body. */
  readonly body: unknown;

  constructor(init: ApiErrorInit) {
    super(`${init.status} ${init.code}: ${init.message}`, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.headers = init.headers;
    this.body = init.body;
  }

  /** The API's own message, without the status and code prefix. */
  get apiMessage(): string {
    const prefix = `${this.status} ${this.code}: `;
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }
}

/** 400: the API refused the request's input. */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}
/** 401: the signature headers were missing, invalid or stale. */
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
}
/** 403: the signer is not the project owner. */
export class PermissionDeniedError extends ApiError {
  override name = 'PermissionDeniedError';
}
/** 404: unknown refresh id, collection or route. */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}
/** Any status of 500 or more. */
export class InternalServerError extends ApiError {
  override name = 'InternalServerError';
}

/** 429: the project's hourly refresh budget is spent (or a GET was throttled). */
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
  /** The rate-limit state from the response headers, when the server sent them. */
  readonly rateLimit: RateLimit | undefined;
  /** How long to wait before trying again, from `Retry-After` or the limit reset time. */
  readonly retryAfterMs: number | undefined;

  constructor(
    init: ApiErrorInit & { rateLimit?: RateLimit | undefined; retryAfterMs?: number | undefined },
  ) {
    super(init);
    this.rateLimit = init.rateLimit;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** Picks the {@link ApiError} subclass for an HTTP status. */
export function apiErrorClassFor(status: number): typeof ApiError {
  if (status === 400) return BadRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status >= 500) return InternalServerError;
  return ApiError;
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

  constructor(message: string, options: { operation: string; cause?: unknown }) {
    super(message, options);
    this.operation = options.operation;
  }
}

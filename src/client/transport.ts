/**
 * The one place the clients talk HTTP: gets each attempt's auth headers, sends it with axios,
 * classifies a failure once into the error ladder, applies the retry policy, validates the body
 * with zod and reports the rate-limit headers. Every client method is a few lines on top of
 * `send`. What differs between the two APIs is injected per client, not forked: the auth-headers
 * provider (Immutable X signs, zkEVM sends an API key), the error-body reader and the
 * rate-limit reader.
 */
import type { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import type { z } from 'zod';
import { type Clock, throwIfAborted } from '../clock.js';
import {
  AbortError,
  ApiError,
  ConnectionError,
  hostOf,
  MetadataRefreshError,
  RedirectError,
  type ResponseHeaders,
  ResponseTooLargeError,
  ResponseValidationError,
  scrubCause,
  TimeoutError,
} from '../errors.js';
import { parseRateLimit, type RateLimit } from '../wire/rate-limit.js';
import { readRetryAfterMs } from '../wire/rate-limit-forms.js';
import { apiErrorBodySchema } from '../wire/schemas.js';
import { type HttpMethod, isRetryable, retryDelayMs } from './retry.js';

/** What the client reports after every HTTP response it receives (every attempt). */
export interface ResponseInfo {
  method: HttpMethod;
  /** Path and query, e.g. `/v1/metadata-refreshes?page_size=10`. */
  path: string;
  status: number;
  headers: ResponseHeaders;
  /** 0 for the first attempt, 1 for the first retry, ... */
  attempt: number;
  /** How long the attempt took, by the client's clock. */
  durationMs: number;
}

/** What an error-body reader finds in an API's error body. */
export interface ErrorBodyFields {
  /** The API's error code. */
  code: string;
  /** The API's message. */
  message: string;
  /** Textual details. */
  details?: string | undefined;
  /** The platform's trace id. */
  traceId?: string | undefined;
  /** A documentation link. */
  link?: string | undefined;
}

/** How one API speaks, injected per client: the parts of a response the transport reads. */
export interface ApiDialect<R extends RateLimit = RateLimit> {
  /** The API's fields of an error body, or undefined when the body is not in its shape. */
  readErrorBody: (body: unknown) => ErrorBodyFields | undefined;
  /** The refresh budget a response reports (headers, or the body's copy), if any. */
  readRateLimit: (headers: ResponseHeaders, body: unknown, nowMs: number) => R | undefined;
  /** How long a 429's server asked to wait, in ms; undefined when it did not say. */
  readRetryAfterMs: (headers: ResponseHeaders, nowMs: number) => number | undefined;
}

export interface TransportConfig<R extends RateLimit = RateLimit> {
  baseURL: string;
  /**
   * The auth headers of one attempt, called before each. It must throw a `MetadataRefreshError`
   * that names no credential; anything else it throws is reported without its message's
   * context, as the auth provider's failure.
   */
  authHeaders: () => Promise<Record<string, string>>;
  dialect: ApiDialect<R>;
  timeoutMs: number;
  maxRetries: number;
  /** Cap on a response body in bytes, after decompression. */
  maxResponseBytes: number;
  /** The caller's axios instance, or undefined to create one on the first request. */
  axios: AxiosInstance | undefined;
  clock: Clock;
  random: () => number;
  onRateLimit: (rateLimit: R) => void;
  onResponse: ((info: ResponseInfo) => void) | undefined;
  /**
   * Credentials that must never reach an error or `onResponse` even when a server echoes them
   * (an API key): replaced by `[redacted]` in response headers, and in the body of any response
   * that becomes an error.
   */
  secrets?: readonly string[] | undefined;
}

/** Replaces every secret inside strings of `value` (deeply, in arrays and plain objects). */
export function redactSecrets<T>(value: T, secrets: readonly string[], depth = 0): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') {
    let text: string = value;
    for (const secret of secrets) if (secret !== '') text = text.replaceAll(secret, '[redacted]');
    return text as T;
  }
  if (typeof value !== 'object' || value === null || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[redactSecrets(key, secrets)] = redactSecrets(v, secrets, depth + 1);
  }
  return out as T;
}

export interface SendRequest<S extends z.ZodType> {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  body?: unknown | undefined;
  signal?: AbortSignal | undefined;
  /** By the client's clock: no attempt or retry wait runs past it (`TimeoutError`). */
  deadlineMs?: number | undefined;
  /**
   * Whether a failed attempt may be sent again (called once per failure, in order, while retries
   * are left). Default {@link isRetryable} for the method.
   */
  retryable?: ((error: unknown) => boolean) | undefined;
  schema: S;
}

export interface SendResult<T, R extends RateLimit = RateLimit> {
  data: T;
  status: number;
  headers: ResponseHeaders;
  rateLimit: R | undefined;
}

// Failures that happen before a byte of the request leaves this process.
const NOTHING_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function toHeaderRecord(headers: AxiosResponse['headers'] | undefined): ResponseHeaders {
  const out: ResponseHeaders = {};
  if (!headers) return out;
  const plain =
    typeof (headers as { toJSON?: unknown | undefined }).toJSON === 'function'
      ? (headers as { toJSON(): Record<string, unknown> }).toJSON()
      : (headers as Record<string, unknown>);
  for (const [name, value] of Object.entries(plain)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function buildQuery(query: SendRequest<z.ZodType>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Immutable X: `{ code, message, details? }` bodies and the `x-imx-…` budget headers. */
export const imxDialect: ApiDialect = {
  readErrorBody: (body) => {
    const parsed = apiErrorBodySchema.safeParse(body);
    return parsed.success ? parsed.data : undefined;
  },
  readRateLimit: (headers, _body, nowMs) => parseRateLimit(headers, nowMs),
  readRetryAfterMs,
};

// axios's codes for a request it refused to make (bad option, URL or protocol) or a redirect
// loop: the network never saw it, and sending it again would fail the same way.
const HTTP_CLIENT_CODES = new Set([
  'ERR_BAD_OPTION_VALUE',
  'ERR_BAD_OPTION',
  'ERR_INVALID_URL',
  'ERR_NOT_SUPPORT',
  'ERR_DEPRECATED',
  'ERR_BAD_REQUEST',
  'ERR_FR_TOO_MANY_REDIRECTS',
]);

// System error codes are E-words (ECONNRESET); axios's own codes start with ERR_.
const SYSTEM_CODE = /^E(?!RR_)[A-Z0-9_]+$/;

/** The first system error code down the cause chain, e.g. `ECONNRESET`. */
function systemCodeOf(error: unknown): string | undefined {
  let current = error as { code?: unknown | undefined; cause?: unknown | undefined } | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && SYSTEM_CODE.test(current.code)) return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

function redirectErrorIn(error: unknown): RedirectError | undefined {
  let current = error as { cause?: unknown | undefined } | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof RedirectError) return current;
    current = current.cause as typeof current;
  }
  return undefined;
}

interface AttemptContext {
  method: HttpMethod;
  path: string;
  timeoutMs: number;
  maxResponseBytes: number;
  signal: AbortSignal | undefined;
}

/**
 * Classifies an attempt that ended without a response, once. Only the failure's name, message and
 * code are kept (`scrubCause`): the axios error itself holds the config with the auth headers.
 * A failure that is not the network's (a caller's interceptor throwing, a bad option) is a plain
 * `MetadataRefreshError`, never a `ConnectionError` that would be retried as one.
 */
function errorFromFailure(error: unknown, context: AttemptContext): MetadataRefreshError {
  const target = { method: context.method, path: context.path };
  const where = `${context.method} ${context.path}`;
  if (error instanceof MetadataRefreshError) return error;
  const cause = scrubCause(error);
  const axiosError = error as Partial<AxiosError> | undefined;
  // Thrown by refuseRedirect inside a transport that follows redirects (follow-redirects wraps it).
  const refused = redirectErrorIn(error);
  if (refused) {
    return ApiError.from({
      status: refused.status,
      headers: refused.headers,
      locationHost: refused.locationHost,
      ...target,
    });
  }
  if (axiosError?.isAxiosError !== true) {
    return new MetadataRefreshError(
      `${where} failed inside the HTTP stack (an interceptor or adapter threw ${cause?.name ?? 'a value'}: ${cause?.message ?? ''}); this is not a network error`,
      { cause },
    );
  }
  if (axiosError.code === 'ERR_CANCELED' || context.signal?.aborted) {
    return new AbortError('The request was aborted', { cause: context.signal?.reason ?? cause });
  }
  if (axiosError.code === 'ECONNABORTED' || axiosError.code === 'ETIMEDOUT') {
    return new TimeoutError(`${where} timed out after ${context.timeoutMs} ms`, {
      ...target,
      cause,
    });
  }
  if (axiosError.code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(axiosError.message ?? '')) {
    return new ResponseTooLargeError(
      `${where}: the response body exceeded maxResponseBytes (${context.maxResponseBytes} bytes); stopped reading it`,
      { ...target, maxResponseBytes: context.maxResponseBytes, cause },
    );
  }
  if (axiosError.code !== undefined && HTTP_CLIENT_CODES.has(axiosError.code)) {
    return new MetadataRefreshError(
      `${where} was refused by the HTTP client (${axiosError.code}: ${axiosError.message}); this is not a network error`,
      { cause },
    );
  }
  const systemCode = systemCodeOf(error);
  return new ConnectionError(
    `Could not reach the API (${where}): ${systemCode ?? axiosError.message}`,
    {
      ...target,
      code: systemCode,
      nothingSent: systemCode !== undefined && NOTHING_SENT_CODES.has(systemCode),
      cause,
    },
  );
}

/** Refuses every redirect, should the caller's transport follow them despite `maxRedirects: 0`. */
function refuseRedirect(
  next: { host?: unknown | undefined } | undefined,
  response: { headers?: Record<string, unknown> | undefined; statusCode?: number | undefined },
): never {
  const headers: ResponseHeaders = {};
  for (const [name, value] of Object.entries(response?.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  // `next` is the request follow-redirects is about to send: its host is where Location points.
  const locationHost =
    hostOf(headers.location, undefined) ?? (typeof next?.host === 'string' ? next.host : undefined);
  throw ApiError.from({ status: response?.statusCode ?? 302, headers, locationHost });
}

/** Sends API requests; see the module comment. */
export class Transport<R extends RateLimit = RateLimit> {
  readonly #config: TransportConfig<R>;
  #axios: Promise<AxiosInstance> | undefined;

  constructor(config: TransportConfig<R>) {
    this.#config = config;
  }

  /**
   * axios is loaded on the first request rather than at import: it is the largest part of the
   * package's import time, and a game server imports the SDK at start-up.
   */
  #defaultAxios(): Promise<AxiosInstance> {
    // No redirects: the API does not redirect, and axios's redirect wrapper costs time on every
    // request. A caller who needs redirects or other defaults passes their own instance.
    this.#axios ??= import('axios').then((m) => m.default.create({ maxRedirects: 0 }));
    return this.#axios;
  }

  async send<S extends z.ZodType>(request: SendRequest<S>): Promise<SendResult<z.output<S>, R>> {
    const { clock, maxRetries } = this.#config;
    const deadline = request.deadlineMs ?? Number.POSITIVE_INFINITY;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(request.signal);
      const left = deadline - clock.now();
      if (left <= 0) throw new TimeoutError('The deadline passed before the request could be sent');
      try {
        return await this.#attempt(request, attempt, Math.min(this.#config.timeoutMs, left));
      } catch (error) {
        if (attempt >= maxRetries) throw error;
        const retryable = request.retryable ?? ((e: unknown) => isRetryable(request.method, e));
        if (!retryable(error)) throw error;
        const delay = retryDelayMs(attempt, error, clock.now(), this.#config.random);
        if (delay === undefined || clock.now() + delay >= deadline) throw error;
        await clock.sleep(delay, request.signal);
      }
    }
  }

  async #attempt<S extends z.ZodType>(
    request: SendRequest<S>,
    attempt: number,
    timeoutMs: number,
  ): Promise<SendResult<z.output<S>, R>> {
    const { clock, dialect } = this.#config;
    let auth: Record<string, string>;
    try {
      auth = await this.#config.authHeaders();
    } catch (cause) {
      if (cause instanceof MetadataRefreshError) throw cause;
      throw new MetadataRefreshError('The auth headers of the request could not be made', {
        cause: scrubCause(cause),
      });
    }
    const path = `${request.path}${buildQuery(request.query)}`;
    const { maxResponseBytes } = this.#config;
    // Loaded before the attempt's clock starts: the first request pays for the import.
    const http = this.#config.axios ?? (await this.#defaultAxios());
    const started = clock.now();
    // axios's own timeout is an idle timeout (a byte now and then keeps it alive); this timer
    // bounds the whole attempt.
    const attemptAbort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptAbort.abort();
    }, timeoutMs);
    const onCallerAbort = () => attemptAbort.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let response: AxiosResponse;
    try {
      response = await http.request({
        method: request.method,
        baseURL: this.#config.baseURL,
        url: path,
        data: request.body,
        headers: {
          ...auth,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        timeout: timeoutMs,
        signal: attemptAbort.signal,
        // Set on every request, whatever the caller's instance says: a followed redirect would
        // carry the auth headers (a signature or an API key) and the body to another host and
        // pass its answer off as the API's; an unbounded body would be buffered whole.
        maxRedirects: 0,
        beforeRedirect: refuseRedirect,
        maxContentLength: maxResponseBytes,
        responseType: 'json',
        validateStatus: () => true,
        transitional: { clarifyTimeoutError: true, silentJSONParsing: true },
      });
    } catch (error) {
      if (timedOut) {
        throw new TimeoutError(`${request.method} ${path} timed out after ${timeoutMs} ms`, {
          method: request.method,
          path,
          cause: scrubCause(error),
        });
      }
      throw errorFromFailure(error, {
        method: request.method,
        path,
        timeoutMs,
        maxResponseBytes,
        signal: request.signal,
      });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
    const secrets = this.#config.secrets ?? [];
    const headers = redactSecrets(toHeaderRecord(response.headers), secrets);
    const rateLimit = dialect.readRateLimit(headers, response.data, clock.now());
    if (rateLimit) this.#config.onRateLimit(rateLimit);
    this.#config.onResponse?.({
      method: request.method,
      path,
      status: response.status,
      headers,
      attempt,
      durationMs: clock.now() - started,
    });
    if (response.status < 200 || response.status >= 300) {
      const body = redactSecrets(response.data, secrets);
      const nowMs = clock.now();
      const fields = dialect.readErrorBody(body);
      // The dialect reads the API's body and Retry-After; ApiError.from picks the class.
      throw ApiError.from({
        status: response.status,
        body,
        headers,
        code: fields?.code,
        message: fields?.message,
        details: fields?.details,
        traceId: fields?.traceId,
        link: fields?.link,
        rateLimit,
        retryAfterMs: dialect.readRetryAfterMs(headers, nowMs),
        nowMs,
        method: request.method,
        path,
        url: `${this.#config.baseURL}${path}`,
      });
    }
    const parsed = request.schema.safeParse(response.data);
    if (!parsed.success) {
      throw new ResponseValidationError(
        `The API's ${request.method} ${request.path} response does not match the expected shape: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}`,
        {
          body: redactSecrets(response.data, secrets),
          status: response.status,
          // A zod error quotes nothing of the input, but its issues may carry the path of an
          // echoed key: with secrets, only redacted issues are kept.
          cause: secrets.length === 0 ? parsed.error : redactSecrets(parsed.error.issues, secrets),
        },
      );
    }
    return { data: parsed.data, status: response.status, headers, rateLimit };
  }
}

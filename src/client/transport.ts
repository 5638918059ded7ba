/**
 * The one place the client talks HTTP: signs each attempt, sends it with axios, classifies a
 * failure once into the error ladder, applies the retry policy, validates the body with zod and
 * reports the rate-limit headers. Every client method is a few lines on top of `send`.
 */
import type { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import type { z } from 'zod';
import { type ImxAuthHeaders, signAuthHeaders, unixSeconds } from '../auth/headers.js';
import type { NormalizedSigner } from '../auth/signer.js';
import { type Clock, throwIfAborted } from '../clock.js';
import {
  AbortError,
  type ApiError,
  apiErrorClassFor,
  ConnectionError,
  MetadataRefreshError,
  RateLimitError,
  type ResponseHeaders,
  ResponseValidationError,
  TimeoutError,
} from '../errors.js';
import { parseRateLimit, type RateLimit } from '../wire/rate-limit.js';
import { apiErrorBodySchema } from '../wire/schemas.js';
import { type HttpMethod, isRetryable, retryDelayMs, serverRetryDelayMs } from './retry.js';

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

export interface TransportConfig {
  baseURL: string;
  signer: NormalizedSigner;
  timeoutMs: number;
  maxRetries: number;
  /** The caller's axios instance, or undefined to create one on the first request. */
  axios: AxiosInstance | undefined;
  clock: Clock;
  random: () => number;
  onRateLimit: (rateLimit: RateLimit) => void;
  onResponse: ((info: ResponseInfo) => void) | undefined;
}

export interface SendRequest<S extends z.ZodType> {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** By the client's clock: no attempt or retry wait runs past it (`TimeoutError`). */
  deadlineMs?: number | undefined;
  schema: S;
}

export interface SendResult<T> {
  data: T;
  status: number;
  headers: ResponseHeaders;
  rateLimit: RateLimit | undefined;
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
    typeof (headers as { toJSON?: unknown }).toJSON === 'function'
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

/** Builds the typed error for a non-2xx response. */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: ResponseHeaders,
  nowMs: number,
): ApiError {
  const parsed = apiErrorBodySchema.safeParse(body);
  const code = parsed.success ? parsed.data.code : 'unknown_error';
  const message = parsed.success
    ? parsed.data.message
    : typeof body === 'string' && body.trim() !== ''
      ? body.trim().slice(0, 500)
      : `HTTP ${status}`;
  const init = {
    status,
    code,
    message,
    details: parsed.success ? parsed.data.details : undefined,
    headers,
    body,
  };
  if (status === 429) {
    const rateLimit = parseRateLimit(headers);
    const retryAfterMs =
      serverRetryDelayMs(headers, nowMs) ??
      (rateLimit ? Math.max(0, rateLimit.resetAt.getTime() - nowMs) : undefined);
    return new RateLimitError({ ...init, rateLimit, retryAfterMs });
  }
  const ErrorClass = apiErrorClassFor(status);
  return new ErrorClass(init);
}

function errorFromAxios(error: AxiosError, timeoutMs: number, signal?: AbortSignal): Error {
  if (error.code === 'ERR_CANCELED' || error.name === 'CanceledError' || signal?.aborted) {
    return new AbortError('The request was aborted', { cause: signal?.reason ?? error });
  }
  if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
    return new TimeoutError(`The request timed out after ${timeoutMs} ms`, { cause: error });
  }
  const systemCode =
    (error.cause as { code?: string } | undefined)?.code ??
    (typeof error.code === 'string' ? error.code : undefined);
  return new ConnectionError(`Could not reach the API: ${systemCode ?? error.message}`, {
    code: systemCode,
    nothingSent: systemCode !== undefined && NOTHING_SENT_CODES.has(systemCode),
    cause: error,
  });
}

/** Sends API requests; see the module comment. */
export class Transport {
  readonly #config: TransportConfig;
  #axios: Promise<AxiosInstance> | undefined;
  #cachedAuth: { timestamp: string; headers: Promise<ImxAuthHeaders> } | undefined;

  constructor(config: TransportConfig) {
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

  /**
   * The auth headers for the current second. ECDSA (RFC 6979) signatures are deterministic, so
   * one signature serves every request within the same second; each attempt still carries the
   * current timestamp.
   */
  #authHeaders(): Promise<ImxAuthHeaders> {
    const timestamp = String(unixSeconds(this.#config.clock.now()));
    if (this.#cachedAuth?.timestamp !== timestamp) {
      const headers = signAuthHeaders(this.#config.signer, timestamp);
      this.#cachedAuth = { timestamp, headers };
      // A failed signature must not be cached for the rest of the second.
      headers.catch(() => {
        if (this.#cachedAuth?.headers === headers) this.#cachedAuth = undefined;
      });
    }
    return this.#cachedAuth.headers;
  }

  async send<S extends z.ZodType>(request: SendRequest<S>): Promise<SendResult<z.output<S>>> {
    const { clock, maxRetries } = this.#config;
    const deadline = request.deadlineMs ?? Number.POSITIVE_INFINITY;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(request.signal);
      const left = deadline - clock.now();
      if (left <= 0) throw new TimeoutError('The deadline passed before the request could be sent');
      try {
        return await this.#attempt(request, attempt, Math.min(this.#config.timeoutMs, left));
      } catch (error) {
        if (attempt >= maxRetries || !isRetryable(request.method, error)) throw error;
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
  ): Promise<SendResult<z.output<S>>> {
    const { clock } = this.#config;
    let auth: ImxAuthHeaders;
    try {
      auth = await this.#authHeaders();
    } catch (cause) {
      if (cause instanceof MetadataRefreshError) throw cause;
      throw new MetadataRefreshError('The signer failed to sign the request', { cause });
    }
    const path = `${request.path}${buildQuery(request.query)}`;
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
        validateStatus: () => true,
        transitional: { clarifyTimeoutError: true, silentJSONParsing: true },
      });
    } catch (error) {
      if (timedOut)
        throw new TimeoutError(`The request timed out after ${timeoutMs} ms`, { cause: error });
      if ((error as AxiosError)?.isAxiosError === true) {
        throw errorFromAxios(error as AxiosError, timeoutMs, request.signal);
      }
      throw new ConnectionError('The request failed before a response arrived', {
        nothingSent: false,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
    const headers = toHeaderRecord(response.headers);
    const rateLimit = parseRateLimit(headers);
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
      throw errorFromResponse(response.status, response.data, headers, clock.now());
    }
    const parsed = request.schema.safeParse(response.data);
    if (!parsed.success) {
      throw new ResponseValidationError(
        `The API's ${request.method} ${request.path} response does not match the expected shape: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}`,
        { body: response.data, status: response.status, cause: parsed.error },
      );
    }
    return { data: parsed.data, status: response.status, headers, rateLimit };
  }
}

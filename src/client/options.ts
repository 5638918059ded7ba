/** The options both clients share, checked once: base URL, timeouts, retries, caps and hooks. */
import type { AxiosInstance } from 'axios';
import { type Clock, MAX_TIMER_MS, systemClock } from '../clock.js';
import { DEFAULT_MAX_RESPONSE_BYTES, InvalidRequestError } from '../errors.js';
import { MAX_RETRY_DELAY_MS } from './retry.js';
import type { ResponseInfo } from './transport.js';
import { assertDuration } from './validate.js';

/** The transport options both clients take. */
export interface SharedClientOptions {
  /** Per-attempt timeout in ms. Default 30000. */
  timeoutMs?: number | undefined;
  /** Retries for safe calls (GETs, and a request that provably was not sent). Default 2. */
  maxRetries?: number | undefined;
  /**
   * Cap on a response body in bytes, after decompression. A longer body is not read further and
   * the call throws `ResponseTooLargeError`. Default {@link DEFAULT_MAX_RESPONSE_BYTES} (4 MiB).
   */
  maxResponseBytes?: number | undefined;
  /**
   * Bring your own axios instance (interceptors, proxies, agents). Its base URL is ignored, and
   * on every request the client sets `maxRedirects: 0` and `maxContentLength`: redirects are
   * never followed (a 3xx throws `RedirectError`) and bodies are capped, whatever the instance's
   * defaults.
   */
  axiosInstance?: AxiosInstance | undefined;
  /** Source of time for retries, budget checks and waiting; inject one in tests. Default: the system clock. */
  clock?: Clock | undefined;
  /**
   * Called after every HTTP response received, with its status and headers (logging, metrics);
   * never the request's credentials.
   */
  onResponse?: ((info: ResponseInfo) => void) | undefined;
}

/** The shared options checked, defaults applied. */
export interface SharedSettings {
  timeoutMs: number;
  maxRetries: number;
  maxResponseBytes: number;
  axios: AxiosInstance | undefined;
  clock: Clock;
  onResponse: ((info: ResponseInfo) => void) | undefined;
}

/** An http(s) URL, returned without trailing slashes. */
export function assertBaseURL(value: unknown): string {
  if (typeof value !== 'string') {
    throw new InvalidRequestError(`baseURL must be a string, got ${typeof value}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new InvalidRequestError(`baseURL is not a valid URL: ${value}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`baseURL must be http or https, got ${url.protocol}`);
  }
  return value.replace(/\/+$/, '');
}

// Checked here so that a wrong value fails at construction, not as a confusing error later.
function assertClientHooks(options: SharedClientOptions): void {
  const { clock, axiosInstance, onResponse } = options;
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' || typeof clock?.sleep !== 'function')
  ) {
    throw new InvalidRequestError('clock must have now() and sleep(ms, signal) functions');
  }
  if (axiosInstance !== undefined && typeof axiosInstance?.request !== 'function') {
    throw new InvalidRequestError('axiosInstance must be an axios instance (from axios.create())');
  }
  if (onResponse !== undefined && typeof onResponse !== 'function') {
    throw new InvalidRequestError('onResponse must be a function');
  }
}

/** Checks the shared options and applies the defaults (30 s, 2 retries, 4 MiB, system clock). */
export function sharedSettings(options: SharedClientOptions): SharedSettings {
  const timeoutMs = assertDuration(options.timeoutMs, 'timeoutMs', { positive: true }) ?? 30_000;
  // A longer timer fires at once (TimeoutOverflowWarning): every attempt would time out.
  if (timeoutMs > MAX_TIMER_MS) {
    throw new InvalidRequestError(`timeoutMs must be at most ${MAX_TIMER_MS} ms`);
  }
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidRequestError('maxRetries must be a non-negative integer');
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
    throw new InvalidRequestError(
      `maxResponseBytes must be a positive integer, got ${String(options.maxResponseBytes)}`,
    );
  }
  assertClientHooks(options);
  return {
    timeoutMs,
    maxRetries,
    maxResponseBytes,
    axios: options.axiosInstance,
    clock: options.clock ?? systemClock,
    onResponse: options.onResponse,
  };
}

/**
 * The longest one refresh POST (a push, on zkEVM) can take with these settings: every attempt
 * the retry rules allow, each up to `timeoutMs`, and the longest wait between two. A scheduler's
 * lease must outlive it, or another process could push the same ids while this one still may.
 */
export function longestSendMs(settings: Pick<SharedSettings, 'timeoutMs' | 'maxRetries'>): number {
  return (settings.maxRetries + 1) * settings.timeoutMs + settings.maxRetries * MAX_RETRY_DELAY_MS;
}

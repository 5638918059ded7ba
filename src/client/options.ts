/** The options both clients share, checked once: base URL, timeouts, retries, caps and hooks. */
import type { AxiosInstance } from 'axios';
import { type Clock, MAX_TIMER_MS, systemClock } from '../clock.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../errors.js';
import type { OptionChecks } from '../option-checks.js';
import { MAX_RETRY_DELAY_MS } from './retry.js';
import type { ResponseInfo } from './transport.js';

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

/**
 * An http(s) URL, returned without trailing slashes. The URL itself is never in the message: it
 * may carry credentials.
 */
export function assertBaseURL(value: unknown, check: OptionChecks): string {
  if (typeof value !== 'string') throw check.invalid('baseURL', 'must be a string', value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw check.invalid('baseURL', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw check.invalid('baseURL', `must be http or https, got ${url.protocol}`);
  }
  return value.replace(/\/+$/, '');
}

// Checked here so that a wrong value fails at construction, not as a confusing error later.
function assertClientHooks(options: SharedClientOptions, check: OptionChecks): void {
  const { clock, axiosInstance, onResponse } = options;
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' || typeof clock?.sleep !== 'function')
  ) {
    throw check.invalid('clock', 'must have now() and sleep(ms, signal) functions', clock);
  }
  if (axiosInstance !== undefined && typeof axiosInstance?.request !== 'function') {
    throw check.invalid(
      'axiosInstance',
      'must be an axios instance (from axios.create())',
      axiosInstance,
    );
  }
  if (onResponse !== undefined && typeof onResponse !== 'function') {
    throw check.invalid('onResponse', 'must be a function', onResponse);
  }
}

/**
 * Checks the shared options of `check`'s client and applies the defaults (30 s, 2 retries,
 * 4 MiB, system clock).
 */
export function sharedSettings(options: SharedClientOptions, check: OptionChecks): SharedSettings {
  // A longer timer fires at once (TimeoutOverflowWarning): every attempt would time out.
  const timeoutMs = check.positiveNumber('timeoutMs', options.timeoutMs ?? 30_000, MAX_TIMER_MS);
  const maxRetries = check.nonNegativeInteger('maxRetries', options.maxRetries ?? 2);
  const maxResponseBytes = check.positiveInteger(
    'maxResponseBytes',
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  );
  assertClientHooks(options, check);
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

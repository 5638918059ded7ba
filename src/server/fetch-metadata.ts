import type { FetchMetadata } from '../engine/types.js';

/**
 * Fetches a token's metadata over HTTP with the global `fetch`: one GET, abandoned after
 * `timeoutMs` (headers and body together, so a slow-drip body counts as a timeout) or when the
 * service stops. Any failure to get a whole answer is `{ status: null }`.
 */
export const fetchMetadataOverHttp: FetchMetadata = async ({ url, timeoutMs, signal }) => {
  // A plain timer rather than AbortSignal.any/timeout: on Node 20 a composed signal can be
  // garbage-collected before it fires, and the timeout silently never happens.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onStop = () => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', onStop, { once: true });
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      headers: { accept: 'application/json' },
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      status: null,
      reason: timedOut ? 'timeout' : (cause?.code ?? (error as Error).message),
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onStop);
  }
};

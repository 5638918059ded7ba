import type { FetchMetadata } from '../engine/types.js';

/**
 * Fetches a token's metadata over HTTP with the global `fetch`: one GET, abandoned after
 * `timeoutMs` (headers and body together, so a slow-drip body counts as a timeout) or when the
 * service stops. Any failure to get a whole answer is `{ status: null }`.
 */
export const fetchMetadataOverHttp: FetchMetadata = async ({ url, timeoutMs, signal }) => {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const response = await fetch(url, {
      signal: deadline,
      headers: { accept: 'application/json' },
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      status: null,
      reason: deadline.aborted ? 'timeout' : (cause?.code ?? (error as Error).message),
    };
  }
};

import { MAX_ERROR_BODY_LENGTH } from './limits.js';
import type { FetchMetadata } from './types.js';

/**
 * Bytes of a truncated body worth decoding: enough for the characters an error row keeps (a
 * UTF-16 unit is at most 3 UTF-8 bytes, a pair 4), so a refused body is not copied whole.
 */
const TRUNCATED_PREFIX_BYTES = MAX_ERROR_BODY_LENGTH * 3 + 4;

/**
 * Fetches a token's metadata over HTTP with the global `fetch`: one GET, abandoned after
 * `timeoutMs` (headers and body together, so a slow-drip body counts as a timeout) or when the
 * service stops or resets. The body is streamed and the request aborted one byte past
 * `maxBytes`, so an endless body costs at most `maxBytes` of memory and fails at once (with
 * `truncated: true`) rather than at the timeout. Any failure to get an answer is `{ status: null }`.
 */
export const fetchMetadataOverHttp: FetchMetadata = async ({
  url,
  timeoutMs,
  maxBytes,
  signal,
}) => {
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
      // A 3xx is the answer (`invalid_response_status_code`): never followed to another host.
      redirect: 'manual',
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    let truncated = false;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.byteLength;
        if (size > maxBytes) {
          truncated = true;
          // Stop the download itself, not just the reading: the rest is never transferred.
          controller.abort();
          void reader.cancel().catch(() => undefined);
          break;
        }
      }
    }
    const bytes = Buffer.concat(
      chunks,
      truncated ? Math.min(maxBytes, TRUNCATED_PREFIX_BYTES) : size,
    );
    const body = new TextDecoder().decode(bytes);
    return truncated
      ? { status: response.status, body, truncated }
      : { status: response.status, body };
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
